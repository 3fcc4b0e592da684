using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MptFast.Engine.Wire;

/// <summary>
/// The ones' complement sum of RFC 1071, as used by the GRE checksum (RFC 2784) and by IP/TCP/UDP
/// checksums (pseudo-header sums via <see cref="Sum"/> + <see cref="Fold"/>). Allocation-free; vectorised
/// with Vector256 (AVX2) or Vector128 when the hardware accelerates them, scalar otherwise.
/// </summary>
/// <remarks>
/// RFC 1071 §2(B): the sum is byte-order independent, so every path adds 16-bit words in NATIVE order and
/// the folded 16-bit result is byte-swapped once at the end on little-endian machines. Partial sums are
/// returned folded to 16 bits in network order, so they chain safely (<c>Sum(b, Sum(a, 0))</c> equals
/// <c>Sum(a‖b, 0)</c> when <c>a</c> has an even length).
/// </remarks>
public static class InternetChecksum
{
    // Below these lengths the vector set-up costs more than it saves.
    private const int Vector256Threshold = 64;
    private const int Vector128Threshold = 32;

    // Each 32-bit accumulator lane gains at most 2 · 0xFFFF per loop iteration (low + high word):
    // 8 192 iterations (< 2^31) stay below 2^32, then the lanes are emptied into the 64-bit total.
    private const int IterationsPerFlush = 8192;

    /// <summary>Ones' complement of the ones' complement sum of <paramref name="data"/> (odd length padded with a zero byte).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data, 0));

    /// <summary>True when a region that contains its own checksum field sums to 0xFFFF.</summary>
    public static bool Verifies(ReadOnlySpan<byte> data) => Fold(Sum(data, 0)) == 0xFFFF;

    /// <summary>
    /// Ones' complement sum of <paramref name="data"/> (big-endian 16-bit words, an odd last byte padded with zero)
    /// plus <paramref name="initial"/> (e.g. a pseudo-header sum), folded to 16 bits (0..0xFFFF, not complemented).
    /// </summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint initial)
    {
        ulong native;
        if (Vector256.IsHardwareAccelerated && data.Length >= Vector256Threshold)
        {
            native = SumNativeVector256(data);
        }
        else if (Vector128.IsHardwareAccelerated && data.Length >= Vector128Threshold)
        {
            native = SumNativeVector128(data);
        }
        else
        {
            native = SumNativeScalar(data);
        }

        // Both terms are at most 0xFFFF after folding, so the addition cannot overflow.
        return Fold(ToNetworkOrder(native) + Fold(initial));
    }

    /// <summary>Folds a 32-bit partial sum to 16 bits with end-around carry (not complemented).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort Fold(uint sum)
    {
        // Two rounds suffice: after the first the value is at most 0x1FFFE.
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>The checksum (complemented) computed by the scalar path only.</summary>
    internal static ushort ComputeScalar(ReadOnlySpan<byte> data) => (ushort)~Fold(ToNetworkOrder(SumNativeScalar(data)));

    /// <summary>The checksum computed by the Vector128 path (software-emulated where not accelerated).</summary>
    internal static ushort ComputeVector128(ReadOnlySpan<byte> data) => (ushort)~Fold(ToNetworkOrder(SumNativeVector128(data)));

    /// <summary>The checksum computed by the Vector256 path (software-emulated where not accelerated).</summary>
    internal static ushort ComputeVector256(ReadOnlySpan<byte> data) => (ushort)~Fold(ToNetworkOrder(SumNativeVector256(data)));

    /// <summary>Folds a native-order 64-bit sum to 16 bits and turns it into network order (RFC 1071 §2(B)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ToNetworkOrder(ulong native)
    {
        // Two rounds fit 32 bits: the first gives at most 2^33 − 2, the second at most 2^32 − 1.
        native = (native & 0xFFFF_FFFF) + (native >> 32);
        native = (native & 0xFFFF_FFFF) + (native >> 32);
        ushort folded = Fold((uint)native);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    private static ulong SumNativeScalar(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (uint)data.Length;
        nuint i = 0;

        // 32-bit words into two 64-bit accumulators: no carry is lost below 2^32 words (any span).
        ulong sum0 = 0;
        ulong sum1 = 0;
        for (; i + 16 <= length; i += 16)
        {
            // Sound: i + 16 <= length, so all four reads lie inside the span.
            sum0 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
            sum1 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 4));
            sum0 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 8));
            sum1 += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i + 12));
        }

        return sum0 + sum1 + SumNativeTail(ref start, i, length);
    }

    private static ulong SumNativeVector128(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (uint)data.Length;
        nuint i = 0;
        ulong total = 0;
        Vector128<uint> lowMask = Vector128.Create(0xFFFFu);
        while (length - i >= 32)
        {
            Vector128<uint> acc0 = Vector128<uint>.Zero;
            Vector128<uint> acc1 = Vector128<uint>.Zero;
            nuint end = i + Math.Min((length - i) & ~(nuint)31, IterationsPerFlush * 32);
            for (; i < end; i += 32)
            {
                // Sound: end <= length and steps of 32, so both 16-byte loads lie inside the span.
                Vector128<uint> v0 = Vector128.LoadUnsafe(ref start, i).AsUInt32();
                Vector128<uint> v1 = Vector128.LoadUnsafe(ref start, i + 16).AsUInt32();

                // Widening add, lane-local: each 32-bit lane holds two 16-bit words; add both zero-extended.
                acc0 += (v0 & lowMask) + (v0 >>> 16);
                acc1 += (v1 & lowMask) + (v1 >>> 16);
            }

            (Vector128<ulong> lo, Vector128<ulong> hi) = Vector128.Widen(acc0);
            (Vector128<ulong> lo1, Vector128<ulong> hi1) = Vector128.Widen(acc1);
            total += Vector128.Sum(lo + hi + lo1 + hi1);
        }

        if (length - i >= 16)
        {
            // Sound: at least 16 bytes remain.
            Vector128<uint> v = Vector128.LoadUnsafe(ref start, i).AsUInt32();
            (Vector128<ulong> lo, Vector128<ulong> hi) = Vector128.Widen((v & lowMask) + (v >>> 16));
            total += Vector128.Sum(lo + hi);
            i += 16;
        }

        return total + SumNativeTail(ref start, i, length);
    }

    private static ulong SumNativeVector256(ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (uint)data.Length;
        nuint i = 0;
        ulong total = 0;
        Vector256<uint> lowMask = Vector256.Create(0xFFFFu);
        while (length - i >= 64)
        {
            Vector256<uint> acc0 = Vector256<uint>.Zero;
            Vector256<uint> acc1 = Vector256<uint>.Zero;
            nuint end = i + Math.Min((length - i) & ~(nuint)63, IterationsPerFlush * 64);
            for (; i < end; i += 64)
            {
                // Sound: end <= length and steps of 64, so both 32-byte loads lie inside the span.
                Vector256<uint> v0 = Vector256.LoadUnsafe(ref start, i).AsUInt32();
                Vector256<uint> v1 = Vector256.LoadUnsafe(ref start, i + 32).AsUInt32();

                // Widening add, lane-local (vpand/vpsrld/vpaddd, no cross-lane shuffles in the loop).
                acc0 += (v0 & lowMask) + (v0 >>> 16);
                acc1 += (v1 & lowMask) + (v1 >>> 16);
            }

            (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen(acc0);
            (Vector256<ulong> lo1, Vector256<ulong> hi1) = Vector256.Widen(acc1);
            total += Vector256.Sum(lo + hi + lo1 + hi1);
        }

        if (length - i >= 32)
        {
            // Sound: at least 32 bytes remain.
            Vector256<uint> v = Vector256.LoadUnsafe(ref start, i).AsUInt32();
            (Vector256<ulong> lo, Vector256<ulong> hi) = Vector256.Widen((v & lowMask) + (v >>> 16));
            total += Vector256.Sum(lo + hi);
            i += 32;
        }

        if (length - i >= 16)
        {
            // Sound: at least 16 bytes remain.
            Vector128<uint> v = Vector128.LoadUnsafe(ref start, i).AsUInt32();
            Vector128<uint> lowMask128 = Vector128.Create(0xFFFFu);
            (Vector128<ulong> lo, Vector128<ulong> hi) = Vector128.Widen((v & lowMask128) + (v >>> 16));
            total += Vector128.Sum(lo + hi);
            i += 16;
        }

        return total + SumNativeTail(ref start, i, length);
    }

    /// <summary>Native-order sum of bytes [i, length): fewer than 16 normally, any count is correct.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SumNativeTail(ref byte start, nuint i, nuint length)
    {
        ulong sum = 0;
        for (; i + 4 <= length; i += 4)
        {
            // Sound: i + 4 <= length.
            sum += Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i));
        }

        if (i + 2 <= length)
        {
            // Sound: i + 2 <= length.
            sum += Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref start, i));
            i += 2;
        }

        if (i < length)
        {
            // The odd last byte is the high-order byte of a zero-padded network-order word (RFC 1071 §4.1):
            // in a native little-endian word that is the low byte.
            byte last = Unsafe.Add(ref start, i);
            sum += BitConverter.IsLittleEndian ? last : (ulong)last << 8;
        }

        return sum;
    }
}
