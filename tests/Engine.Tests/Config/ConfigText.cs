namespace MptFast.Engine.Tests.Config;

/// <summary>Small valid config texts for tests; line numbers are stable so tests can name them.</summary>
internal static class ConfigText
{
    /// <summary>
    /// A valid two-path IPv4 connection. Line 1 [connection] … line 10 auth_type, line 12 [path_0] … line 17 extra
    /// (empty), line 19 [path_1] … line 24 extra (empty). <paramref name="path0Extra"/>/<paramref name="path1Extra"/>
    /// replace lines 17/24; <paramref name="tail"/> is appended after line 25.
    /// </summary>
    public static string Connection(string connectionExtra = "", string path0Extra = "", string path1Extra = "", string tail = "") =>
        "[connection]\n" +                      // 1
        "name = t\n" +                          // 2
        "ip_ver = 4\n" +                        // 3
        "ip_local = 198.19.0.1\n" +             // 4
        "ip_remote = 198.19.0.2\n" +            // 5
        "local_port = 23456\n" +                // 6
        "remote_port = 23456\n" +               // 7
        "path_count = 2\n" +                    // 8
        connectionExtra + "\n" +                // 9
        "auth_type = 2\n" +                     // 10
        "auth_key = 00112233445566778899AABBCCDDEEFF\n" + // 11
        "[path_0]\n" +                          // 12
        "interface_name = veth1\n" +            // 13
        "private_ipaddr = 198.18.1.1\n" +       // 14
        "public_ipaddr = 198.18.1.1\n" +        // 15
        "remote_ipaddr = 198.18.1.2\n" +        // 16
        path0Extra + "\n" +                     // 17
        "\n" +                                  // 18
        "[path_1]\n" +                          // 19
        "interface_name = veth2\n" +            // 20
        "private_ipaddr = 198.18.2.1\n" +       // 21
        "public_ipaddr = 198.18.2.1\n" +        // 22
        "remote_ipaddr = 198.18.2.2\n" +        // 23
        path1Extra + "\n" +                     // 24
        "\n" +                                  // 25
        tail;

    public static string Interface(string generalExtra = "", string tunExtra = "") =>
        "[general]\n" +                         // 1
        "tunnel_num = 1\n" +                    // 2
        "cmdport_local = 60456\n" +             // 3
        generalExtra + "\n" +                   // 4
        "[tun_0]\n" +                           // 5
        "name = tun0\n" +                       // 6
        "ipv4_addr = 198.19.0.1/24\n" +         // 7
        tunExtra + "\n";                        // 8
}
