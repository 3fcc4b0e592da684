#!/usr/bin/env bash
# star-testbed.sh — one server, N clients, two paths each (issue 15: one server, many clients).
#
# Namespaces (PREFIX defaults to "mfs"):
#   ${PREFIX}s          the server: bridges br0 (path 0) and br1 (path 1), one address each
#   ${PREFIX}c<i>       client i (1..N, N ≤ 250): interfaces p0 and p1
#   ${PREFIX}n<i>p<k>   the NAT router of client i on path k (only with --nat i:k): nftables masquerade
#
# Address plan (only 198.18.0.0/15; no default route anywhere, nothing in the host's namespace):
#   path k LAN (bridge brK)      198.18.(64k).0/18
#     server                     198.18.(64k).1
#     client i, direct           198.18.(64k+1).i
#     NAT of client i, outside   198.18.(64k+2).i   (after `natmove i k`: 198.18.(64k+3).i)
#   NAT inside link (per NAT, so every NATed client has the same private address, as behind real NATs)
#     NAT router                 198.18.(128+k).1/24
#     client                     198.18.(128+k).2/24
#   tunnel (overlay, for the daemons' configs)
#     server                     198.19.0.1/16
#     client i                   198.19.1.i/16
#
# Commands:
#   up --clients N [--nat I:K]... [--shape MBIT]   build it (MBIT: tbf on every client link, both directions; 0.5 is
#                                                  500 kbit/s)
#   down                                           kill what runs in the namespaces and remove them (idempotent)
#   shape MBIT                                     tbf MBIT on every client link, both directions (0: none)
#   natmove I K                                    give client I's NAT on path K its other outside address: the old
#                                                  address is removed (masquerade forgets its mappings), new flows
#                                                  leave from the new one — an LTE reconnect / NAT rebinding
#   config DIR server|client I [--reorder W]      write the daemon configs (original layout: DIR/interface.conf,
#                                                  DIR/connections/): the server accepts remote creates from
#                                                  conf.template (data ports 30001, 30002, …); client I's tunnel.conf
#                                                  points at it. SHA-256 control authentication (one key), 1 s
#                                                  keepalives, dead time 3 s. Reads the NAT layout from the namespaces.
#   exec s|c<i> CMD [ARGS...]                      run CMD in the server or client i namespace
set -euo pipefail

PREFIX=${STAR_PREFIX:-mfs}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

[[ ${1:-} == --prefix ]] && { PREFIX=$2; shift 2; }
cmd=${1:-help}; shift || true

ns_s=${PREFIX}s
nsc() { echo "${PREFIX}c$1"; }
nsn() { echo "${PREFIX}n$1p$2"; }

down() {
    local ns pids
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^${PREFIX}(s|c[0-9]+|n[0-9]+p[01])$" || true); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}

is_rate() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "star: '$1' is not a rate in Mbit/s (e.g. 10 or 0.5)" >&2; exit 2; }; }

shape() { # ns dev mbit (0: none; fractions allowed)
    is_rate "$3"
    awk -v r="$3" 'BEGIN { exit !(r > 0) }' || return 0
    ip -n "$1" link set "$2" up
    tc -n "$1" qdisc replace dev "$2" root tbf rate "${3}mbit" burst 64kb latency 50ms
}

up() {
    local n=0 shape_mbit=0 nats=() i k
    while [[ $# -gt 0 ]]; do
        case $1 in
            --clients) n=$2; shift 2 ;;
            --nat) nats+=("$2"); shift 2 ;;
            --shape) shape_mbit=$2; shift 2 ;;
            *) echo "up: unknown argument $1" >&2; exit 2 ;;
        esac
    done
    [[ $n -ge 1 && $n -le 250 ]] || { echo "up: --clients 1..250" >&2; exit 2; }
    is_rate "$shape_mbit"
    down
    ip netns add "$ns_s"
    ip -n "$ns_s" link set lo up
    for k in 0 1; do
        ip -n "$ns_s" link add "br$k" type bridge
        ip -n "$ns_s" addr add "198.18.$((64 * k)).1/18" dev "br$k"
        ip -n "$ns_s" link set "br$k" up
    done
    for ((i = 1; i <= n; i++)); do
        local c; c=$(nsc "$i")
        ip netns add "$c"
        ip -n "$c" link set lo up
        for k in 0 1; do
            if [[ " ${nats[*]} " == *" $i:$k "* ]]; then
                local r; r=$(nsn "$i" "$k")
                ip netns add "$r"
                ip -n "$r" link set lo up
                ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
                # natmove adds the new outside address before it removes the old one: keep it when the old goes.
                ip netns exec "$r" sysctl -qw net.ipv4.conf.all.promote_secondaries=1
                ip netns exec "$r" sysctl -qw net.ipv4.conf.default.promote_secondaries=1
                ip -n "$c" link add "p$k" type veth peer name in netns "$r"
                ip -n "$c" addr add "198.18.$((128 + k)).2/24" dev "p$k"
                ip -n "$r" addr add "198.18.$((128 + k)).1/24" dev in
                ip -n "$r" link add wan type veth peer name "c${i}p$k" netns "$ns_s"
                ip -n "$r" addr add "198.18.$((64 * k + 2)).$i/18" dev wan
                ip -n "$r" link set in up
                ip -n "$r" link set wan up
                ip netns exec "$r" nft -f - <<NFT
table ip star_nat {
    chain post { type nat hook postrouting priority 100; oifname "wan" masquerade; }
}
NFT
                shape "$r" wan "$shape_mbit"
            else
                ip -n "$c" link add "p$k" type veth peer name "c${i}p$k" netns "$ns_s"
                ip -n "$c" addr add "198.18.$((64 * k + 1)).$i/18" dev "p$k"
            fi
            ip -n "$c" link set "p$k" up
            ip -n "$ns_s" link set "c${i}p$k" master "br$k"
            ip -n "$ns_s" link set "c${i}p$k" up
            shape "$c" "p$k" "$shape_mbit"
            shape "$ns_s" "c${i}p$k" "$shape_mbit"
        done
    done
    echo "star: server $ns_s, $n client(s) ${PREFIX}c1..${PREFIX}c$n, NAT on ${nats[*]:-none}"
}

shape_all() { # mbit
    local ns dev
    is_rate "$1"
    for ns in $(ip netns list | awk '{print $1}' | grep -E "^${PREFIX}c[0-9]+$"); do
        for dev in p0 p1; do
            tc -n "$ns" qdisc del dev "$dev" root 2>/dev/null || true
            shape "$ns" "$dev" "$1"
        done
    done
    for dev in $(ip -n "$ns_s" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^c[0-9]+p[01]$'); do
        tc -n "$ns_s" qdisc del dev "$dev" root 2>/dev/null || true
        shape "$ns_s" "$dev" "$1"
    done
    echo "star: client links shaped to ${1} Mbit/s"
}

natmove() { # i k
    local r; r=$(nsn "$1" "$2")
    local a="198.18.$((64 * $2 + 2)).$1/18" b="198.18.$((64 * $2 + 3)).$1/18" old new
    if ip -n "$r" -4 addr show dev wan | grep -q "inet ${a%/18}/"; then old=$a new=$b; else old=$b new=$a; fi
    ip -n "$r" addr add "$new" dev wan
    ip -n "$r" addr del "$old" dev wan
    echo "star: NAT of client $1 path $2 now leaves from ${new%/18} (was ${old%/18})"
}

KEY=5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE5EC0FFEE
interface_conf() { # accept tunnel dir
    printf '[general]\ntunnel_num    = 1\naccept_remote = %s\ncmdport_local = 60456\n' "$1"
    # Every daemon its own local control socket (the default /run/mptfast/control.sock is one per host).
    printf 'control_socket = %s/control.sock\n\n' "$(cd "$3" && pwd)"
    printf '[tun_0]\nname      = tun0\nmtu       = 1400\nipv4_addr = %s/16\nipv6_addr = ::/0\n' "$2"
}
connection_conf() { # name local remote path_count reorder
    printf '[connection]\nname               = %s\npermission         = 3\nip_ver             = 4\n' "$1"
    printf 'ip_local           = %s\n' "$2"
    if [[ -n $3 ]]; then
        printf 'local_port         = 40000\nip_remote          = %s\nremote_port        = 30001\nremote_cmd_port    = 60456\n' "$3"
    else
        printf 'local_port         = 30001\n'
    fi
    printf 'path_count         = 2\nnetwork_count      = 0\nstatus             = 0\nreorder_window     = %s\n' "$4"
    printf 'max_buffdelay_msec = 100\nauth_type          = 2\nauth_key           = %s\n' "$KEY"
}
config() { # dir server|client [i] [--reorder w]
    local dir=$1 role=$2 i=0 reorder=0 k
    shift 2
    [[ $role == client ]] && { i=$1; shift; }
    [[ ${1:-} == --reorder ]] && reorder=$2
    mkdir -p "$dir/connections"
    if [[ $role == server ]]; then
        interface_conf 1 198.19.0.1 "$dir" >"$dir/interface.conf"
        {
            connection_conf star_server 198.19.0.1 "" "$reorder"
            for k in 0 1; do
                printf '\n[path_%s]\ninterface_name = br%s\nip_ver         = 4\ncmd_default    = %s\n' "$k" "$k" $((k == 0 ? 1 : 0))
                printf 'private_ipaddr = 198.18.%s.1\npublic_ipaddr  = 198.18.%s.1\nstatus         = 0\n' $((64 * k)) $((64 * k))
            done
        } >"$dir/connections/conf.template"
        return
    fi
    interface_conf 0 "198.19.1.$i" "$dir" >"$dir/interface.conf"
    {
        connection_conf "client_$i" "198.19.1.$i" 198.19.0.1 "$reorder"
        for k in 0 1; do
            local own gw
            if ip netns list | grep -q "^$(nsn "$i" "$k")\b"; then
                own="198.18.$((128 + k)).2" gw="198.18.$((128 + k)).1"
            else
                own="198.18.$((64 * k + 1)).$i" gw="198.18.$((64 * k)).1"
            fi
            printf '\n[path_%s]\ninterface_name = p%s\nip_ver         = 4\ncmd_default    = %s\n' "$k" "$k" $((k == 0 ? 1 : 0))
            printf 'private_ipaddr = %s\npublic_ipaddr  = %s\ngw_ipaddr      = %s\nremote_ipaddr  = 198.18.%s.1\n' "$own" "$own" "$gw" $((64 * k))
            printf 'keepalive_time = 1\ndead_time      = 3\nweight_in      = 1\nweight_out     = 1\nstatus         = 0\n'
        done
    } >"$dir/connections/tunnel.conf"
}

case $cmd in
    config) config "$@" ;;
    up) trap down EXIT; up "$@"; trap - EXIT ;; # a failed build removes what it made
    down) down; echo "star: $PREFIX removed" ;;
    natmove) natmove "$@" ;;
    shape) shape_all "$1" ;;
    exec) t=$1; shift; if [[ $t == s ]]; then ns=$ns_s; else ns=${PREFIX}$t; fi; exec ip netns exec "$ns" "$@" ;;
    help|-h|--help) usage 0 ;;
    *) usage 2 ;;
esac
