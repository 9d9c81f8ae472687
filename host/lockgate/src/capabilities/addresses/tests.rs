//! Every registry entry decides its own addresses; the embedded forms are
//! judged by what they carry.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn refused(s: &str) -> bool {
    check(ip(s)).is_err()
}

fn assert_refused(addr: IpAddr, why: &str) {
    assert!(check(addr).is_err(), "{addr} ({why}) must be refused");
}

fn assert_allowed(addr: IpAddr, why: &str) {
    if let Err(refusal) = check(addr) {
        panic!("{addr} ({why}) must be allowed, was refused: {refusal}");
    }
}

/// `v4` placed in `block` in the block's own form.
fn embed(block: &Block, v4: Ipv4Addr) -> IpAddr {
    let IpAddr::V6(net) = block.network else {
        unreachable!()
    };
    let mut o = net.octets();
    let v = v4.octets();
    match block.embeds.unwrap() {
        Embedding::Mapped
        | Embedding::Compatible
        | Embedding::Translated
        | Embedding::Nat64
        | Embedding::Nat64LocalUse => o[12..16].copy_from_slice(&v),
        Embedding::SixToFour => o[2..6].copy_from_slice(&v),
        Embedding::Teredo => {
            // A public server (65.54.227.120, Microsoft's old Teredo
            // server) and the client inverted, as RFC 4380 stores it.
            o[4..8].copy_from_slice(&[65, 54, 227, 120]);
            o[8] = 0x80;
            o[12..16].copy_from_slice(&(!u32::from(v4)).to_be_bytes());
        }
    }
    IpAddr::V6(Ipv6Addr::from(o))
}

#[test]
fn the_tables_are_well_formed() {
    for block in IPV4.iter().chain(IPV6) {
        let (net, width) = bits(block.network);
        assert!(block.len <= width, "{block}");
        assert_eq!(net & block.host_mask(), 0, "{block} has host bits set");
        assert!(
            !block.name.is_empty() && block.rfc.starts_with("RFC"),
            "{block}"
        );
        assert!(block.embeds.is_none() || block.network.is_ipv6(), "{block}");
    }
    // Every registry entry, as of RFC 9780 (IPv6) and RFC 8880 (IPv4).
    assert_eq!(IPV4.iter().filter(|b| b.registry).count(), 26);
    assert_eq!(IPV6.iter().filter(|b| b.registry).count(), 25);
    // No two rows for the same prefix.
    let mut seen = std::collections::BTreeSet::new();
    for block in IPV4.iter().chain(IPV6) {
        assert!(seen.insert((block.network, block.len)), "{block} twice");
    }
}

/// Every entry: first, middle and last address decided as the entry
/// says, unless a more specific entry decides them.
#[test]
fn every_entry_decides_its_addresses() {
    let public = Ipv4Addr::new(93, 184, 216, 34);
    let private = Ipv4Addr::new(10, 1, 2, 3);
    for block in IPV4.iter().chain(IPV6) {
        if let Some(embeds) = block.embeds {
            // All-zero and all-one carried addresses are refused.
            assert_refused(block.first(), &format!("first of {block}"));
            assert_refused(block.last(), &format!("last of {block}"));
            assert_refused(embed(block, private), &format!("{private} in {block}"));
            assert_refused(
                embed(block, Ipv4Addr::new(127, 0, 0, 1)),
                &format!("loopback in {block}"),
            );
            assert_allowed(embed(block, public), &format!("{public} in {block}"));
            let metadata = check(embed(block, Ipv4Addr::new(169, 254, 169, 254)));
            assert!(
                metadata.as_ref().is_err_and(|r| r.metadata),
                "metadata in {block} ({embeds:?}): {metadata:?}"
            );
            continue;
        }
        for (which, addr) in [
            ("first", block.first()),
            ("middle", block.middle()),
            ("last", block.last()),
        ] {
            assert!(block.contains(addr), "{which} of {block}");
            let decided_by = block_of(addr).unwrap();
            if decided_by.len > block.len {
                // A more specific entry (tested on its own) decides.
                continue;
            }
            let what = format!("{which} address of {block} ({})", block.name);
            if block.reachable() {
                assert_allowed(addr, &what);
            } else {
                assert_refused(addr, &what);
            }
        }
    }
}

/// Each refused registry entry, by first, last and an inside address,
/// listed here by hand so the test does not trust the table alone.
#[test]
fn the_named_ranges_are_refused() {
    let refused_ranges = [
        ("0.0.0.0", "0.255.255.255", "0.1.2.3"),
        ("10.0.0.0", "10.255.255.255", "10.20.30.40"),
        ("100.64.0.0", "100.127.255.255", "100.100.1.1"),
        ("127.0.0.0", "127.255.255.255", "127.0.0.1"),
        ("169.254.0.0", "169.254.255.255", "169.254.1.1"),
        ("172.16.0.0", "172.31.255.255", "172.20.1.1"),
        ("192.0.0.0", "192.0.0.255", "192.0.0.100"),
        ("192.0.0.0", "192.0.0.7", "192.0.0.1"),
        ("192.0.0.8", "192.0.0.8", "192.0.0.8"),
        ("192.0.0.170", "192.0.0.171", "192.0.0.170"),
        ("192.0.2.0", "192.0.2.255", "192.0.2.1"),
        ("192.88.99.0", "192.88.99.255", "192.88.99.2"),
        ("192.168.0.0", "192.168.255.255", "192.168.1.1"),
        ("198.18.0.0", "198.19.255.255", "198.19.1.1"),
        ("198.51.100.0", "198.51.100.255", "198.51.100.7"),
        ("203.0.113.0", "203.0.113.255", "203.0.113.7"),
        ("240.0.0.0", "255.255.255.254", "250.1.2.3"),
        ("255.255.255.255", "255.255.255.255", "255.255.255.255"),
        ("224.0.0.0", "239.255.255.255", "232.1.2.3"),
        ("::", "::", "::"),
        ("::1", "::1", "::1"),
        ("100::", "100::ffff:ffff:ffff:ffff", "100::1"),
        ("100:0:0:1::", "100::1:ffff:ffff:ffff:ffff", "100::1:0:0:1"),
        (
            "2001:1ff::",
            "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:100::1",
        ),
        ("2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2::1"),
        (
            "2001:10::",
            "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:10::1",
        ),
        (
            "2001:db8::",
            "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            "2001:db8::1",
        ),
        (
            "3fff::",
            "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
            "3fff::1",
        ),
        (
            "5f00::",
            "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "5f00::1",
        ),
        (
            "fc00::",
            "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fd12:3456::1",
        ),
        (
            "fe80::",
            "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fe80::1",
        ),
        (
            "fec0::",
            "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "fec0::1",
        ),
        (
            "ff00::",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "ff02::1",
        ),
        (
            "4000::",
            "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "4000::1",
        ),
    ];
    for (first, last, inside) in refused_ranges {
        for a in [first, last, inside] {
            assert!(refused(a), "{a} must be refused");
        }
    }
}

#[test]
fn globally_reachable_addresses_are_allowed() {
    for a in [
        "1.1.1.1",
        "8.8.8.8",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.0",
        "172.32.0.1",
        "192.0.0.9",
        "192.0.0.10",
        "192.31.196.1",
        "192.52.193.1",
        "192.175.48.1",
        "198.17.255.255",
        "198.20.0.0",
        "223.255.255.255",
        "2606:4700::1111",
        "2a00:1450:4001::200e",
        "2001:4860:4860::8888",
        "2001:1::1",
        "2001:1::2",
        "2001:1::3",
        "2001:3::1",
        "2001:4:112::1",
        "2001:20::1",
        "2001:30::1",
        "2620:4f:8000::1",
        "2001:db9::1",
        "3ffe::1",
    ] {
        assert!(check(ip(a)).is_ok(), "{a}: {:?}", check(ip(a)));
    }
}

#[test]
fn embedded_private_addresses_are_refused_and_public_ones_allowed() {
    // (form, private/reserved inside, public inside)
    let cases = [
        ("IPv4-mapped", "::ffff:10.0.0.1", "::ffff:93.184.216.34"),
        ("IPv4-mapped loopback", "::ffff:127.0.0.1", "::ffff:1.1.1.1"),
        ("IPv4-compatible", "::10.0.0.1", "::93.184.216.34"),
        ("IPv4-compatible loopback", "::127.0.0.1", "::8.8.8.8"),
        (
            "IPv4-translated",
            "::ffff:0:192.168.1.1",
            "::ffff:0:8.8.8.8",
        ),
        ("NAT64", "64:ff9b::a00:1", "64:ff9b::5db8:d822"),
        ("NAT64 loopback", "64:ff9b::7f00:1", "64:ff9b::808:808"),
        (
            "NAT64 local-use /96",
            "64:ff9b:1::c0a8:101",
            "64:ff9b:1::5db8:d822",
        ),
        (
            "NAT64 local-use /96 in a /96",
            "64:ff9b:1:ab:cd:ef:a00:1",
            "64:ff9b:1:ab:cd:ef:808:808",
        ),
        // 10.0.0.1 in the /48 form: bytes 6,7 and 9,10.
        (
            "NAT64 local-use /48",
            "64:ff9b:1:a00:0:100::",
            "64:ff9b:1::5db8:d822",
        ),
        // 192.168.1.1 in the /64 form: bytes 9..13.
        (
            "NAT64 local-use /64",
            "64:ff9b:1:0:c0:a801:100::",
            "64:ff9b:1::808:808",
        ),
        ("6to4", "2002:a00:1::1", "2002:5db8:d822::1"),
        ("6to4 loopback", "2002:7f00:1::", "2002:808:808::1"),
        ("6to4 CGNAT", "2002:6440:1::1", "2002:101:101::1"),
        // Teredo: server 65.54.227.120, client inverted.
        (
            "Teredo client",
            "2001:0:4136:e378:8000:63bf:f5ff:fffe",
            "2001:0:4136:e378:8000:63bf:a247:27dd",
        ),
        (
            "Teredo server",
            "2001:0:a00:1:8000:63bf:a247:27dd",
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
        ),
    ];
    for (form, bad, good) in cases {
        let refusal = check(ip(bad));
        assert!(refusal.is_err(), "{form}: {bad} must be refused");
        assert!(
            refusal.unwrap_err().carried.is_some(),
            "{form}: {bad} is refused for what it carries"
        );
        assert!(
            check(ip(good)).is_ok(),
            "{form}: {good}: {:?}",
            check(ip(good))
        );
    }
    // The Teredo client 10.0.0.1 is stored as !10.0.0.1 = 245.255.255.254.
    let refusal = check(ip("2001:0:4136:e378:8000:63bf:f5ff:fffe")).unwrap_err();
    assert_eq!(
        refusal.carried.as_ref().unwrap().0,
        Ipv4Addr::new(10, 0, 0, 1)
    );
}

#[test]
fn metadata_addresses_are_marked() {
    for a in [
        "169.254.169.254",
        "100.100.100.200",
        "168.63.129.16",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",
        "64:ff9b::a9fe:a9fe",
        "2002:a9fe:a9fe::1",
    ] {
        let refusal = check(ip(a)).unwrap_err();
        assert!(refusal.metadata, "{a} is a metadata address");
        assert!(refusal.to_string().contains("cloud metadata"), "{refusal}");
    }
    assert!(!check(ip("127.0.0.1")).unwrap_err().metadata);
}

#[test]
fn refusals_say_what_was_wrong() {
    assert_eq!(
        check(ip("127.0.0.1")).unwrap_err().to_string(),
        "(loopback): 127.0.0.0/8 is not globally reachable (RFC 1122 §3.2.1.3)"
    );
    assert_eq!(
        check(ip("169.254.169.254")).unwrap_err().to_string(),
        "(a cloud metadata address)"
    );
    assert_eq!(
        check(ip("64:ff9b::a00:1")).unwrap_err().to_string(),
        "(NAT64-wrapped 10.0.0.1): 64:ff9b::/96 (IPv4-IPv6 translation (NAT64 well-known \
         prefix), RFC 6052) carries 10.0.0.1 (private-use): 10.0.0.0/8 is not globally \
         reachable (RFC 1918)"
    );
    assert_eq!(
        check(ip("2001:db8::1")).unwrap_err().to_string(),
        "(documentation): 2001:db8::/32 is not globally reachable (RFC 3849)"
    );
    assert_eq!(
        check(ip("2001:10::1")).unwrap_err().to_string(),
        "(deprecated (previously ORCHID)): 2001:10::/28 may not be reached (RFC 4843)"
    );
}
