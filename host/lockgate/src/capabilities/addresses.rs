//! Which IP addresses a connector's request may reach, as data: IANA's IPv4
//! and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs that
//! updated them), every entry with its name, its RFC and the registry's
//! "globally reachable" flag, plus the few blocks Lockgate adds (multicast,
//! the IPv6 space outside global unicast, deprecated forms, cloud metadata
//! addresses).
//!
//! The decision is the longest matching prefix: a block that is globally
//! reachable may be reached, any other is refused. IPv6 blocks that carry
//! or translate to an IPv4 address (IPv4-mapped, IPv4-compatible,
//! IPv4-translated, NAT64 well-known and local-use, 6to4, Teredo) are
//! judged by the IPv4 address they carry, through the IPv4 table. Cloud
//! metadata addresses are refused even where the operator allowed the host.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A registry's "Globally Reachable" column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    Yes,
    No,
    /// "N/A" in the registry: deprecated blocks and the transition
    /// prefixes, whose reachability is that of the address they carry.
    NotApplicable,
}

/// How an IPv6 block carries an IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Embedding {
    /// `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2): reached as a.b.c.d.
    Mapped,
    /// `::a.b.c.d` (RFC 4291 §2.5.5.1, deprecated).
    Compatible,
    /// `::ffff:0:a.b.c.d` (RFC 2765 §2.1, SIIT).
    Translated,
    /// `64:ff9b::a.b.c.d` (RFC 6052 §2.1): a NAT64 gateway reaches a.b.c.d.
    Nat64,
    /// `64:ff9b:1::/48` (RFC 8215): the operator picks the prefix length
    /// (48 to 96), so every well-formed RFC 6052 §2.2 reading is judged.
    Nat64LocalUse,
    /// `2002:aabb:ccdd::/48` (RFC 3056 §2): the 6to4 site of aa.bb.cc.dd.
    SixToFour,
    /// `2001:0:SSSS:SSSS:flags:port:CCCC:CCCC` (RFC 4380 §4): the server
    /// address S and the client address C, stored inverted.
    Teredo,
}

impl Embedding {
    fn describe(self) -> &'static str {
        match self {
            Embedding::Mapped => "IPv4-mapped",
            Embedding::Compatible => "IPv4-compatible",
            Embedding::Translated => "IPv4-translated",
            Embedding::Nat64 => "NAT64-wrapped",
            Embedding::Nat64LocalUse => "NAT64 (local-use) wrapped",
            Embedding::SixToFour => "6to4 wrapped",
            Embedding::Teredo => "Teredo wrapped",
        }
    }

    /// The IPv4 addresses `ip` carries in this form.
    pub fn carried(self, ip: Ipv6Addr) -> Vec<Ipv4Addr> {
        let o = ip.octets();
        let at = |i: usize| Ipv4Addr::new(o[i], o[i + 1], o[i + 2], o[i + 3]);
        match self {
            Embedding::Mapped
            | Embedding::Compatible
            | Embedding::Translated
            | Embedding::Nat64 => vec![at(12)],
            Embedding::SixToFour => vec![at(2)],
            Embedding::Teredo => {
                let client = !u32::from(at(12));
                vec![at(4), Ipv4Addr::from(client)]
            }
            Embedding::Nat64LocalUse => {
                // RFC 6052 §2.2: bits 64..72 ("u") are zero and the suffix
                // after the IPv4 address is zero in a well-formed address.
                let zero = |range: std::ops::Range<usize>| o[range].iter().all(|b| *b == 0);
                let mut readings = vec![at(12)]; // /96
                if o[8] == 0 {
                    if zero(13..16) {
                        readings.push(Ipv4Addr::new(o[9], o[10], o[11], o[12])); // /64
                    }
                    if zero(12..16) {
                        readings.push(Ipv4Addr::new(o[7], o[9], o[10], o[11])); // /56
                    }
                    if zero(11..16) {
                        readings.push(Ipv4Addr::new(o[6], o[7], o[9], o[10])); // /48
                    }
                }
                readings
            }
        }
    }
}

/// One entry of the address table.
#[derive(Debug)]
pub struct Block {
    pub network: IpAddr,
    pub len: u8,
    /// The registry's "Address Block Name" (sentence case).
    pub name: &'static str,
    /// Where the block is defined.
    pub rfc: &'static str,
    pub global: Global,
    /// Whether the entry is in IANA's special-purpose registry (`false`:
    /// added by Lockgate, from the source in `rfc`).
    pub registry: bool,
    pub embeds: Option<Embedding>,
}

#[allow(clippy::too_many_arguments, reason = "one table row")]
const fn v4(
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    len: u8,
    name: &'static str,
    rfc: &'static str,
    global: Global,
) -> Block {
    Block {
        network: IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
        len,
        name,
        rfc,
        global,
        registry: true,
        embeds: None,
    }
}

const fn v6(
    s: [u16; 8],
    len: u8,
    name: &'static str,
    rfc: &'static str,
    global: Global,
    embeds: Option<Embedding>,
) -> Block {
    Block {
        network: IpAddr::V6(Ipv6Addr::new(
            s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7],
        )),
        len,
        name,
        rfc,
        global,
        registry: true,
        embeds,
    }
}

/// Marks a row as Lockgate's addition rather than a registry entry.
const fn extra(block: Block) -> Block {
    Block {
        registry: false,
        ..block
    }
}

use Global::{No, NotApplicable, Yes};

/// IANA IPv4 Special-Purpose Address Registry, every entry, and Lockgate's
/// additions. Addresses in no block are globally reachable unicast.
#[rustfmt::skip]
pub static IPV4: &[Block] = &[
    v4(0, 0, 0, 0, 8, "\"this network\"", "RFC 791 §3.2", No),
    v4(0, 0, 0, 0, 32, "\"this host on this network\"", "RFC 1122 §3.2.1.3", No),
    v4(10, 0, 0, 0, 8, "private-use", "RFC 1918", No),
    v4(100, 64, 0, 0, 10, "shared address space (CGNAT)", "RFC 6598", No),
    v4(127, 0, 0, 0, 8, "loopback", "RFC 1122 §3.2.1.3", No),
    v4(169, 254, 0, 0, 16, "link-local", "RFC 3927", No),
    v4(172, 16, 0, 0, 12, "private-use", "RFC 1918", No),
    v4(192, 0, 0, 0, 24, "IETF protocol assignments", "RFC 6890 §2.1", No),
    v4(192, 0, 0, 0, 29, "IPv4 service continuity prefix", "RFC 7335", No),
    v4(192, 0, 0, 8, 32, "IPv4 dummy address", "RFC 7600", No),
    v4(192, 0, 0, 9, 32, "Port Control Protocol anycast", "RFC 7723", Yes),
    v4(192, 0, 0, 10, 32, "TURN anycast", "RFC 8155", Yes),
    v4(192, 0, 0, 170, 32, "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 §2.2", No),
    v4(192, 0, 0, 171, 32, "NAT64/DNS64 discovery", "RFC 8880, RFC 7050 §2.2", No),
    v4(192, 0, 2, 0, 24, "documentation (TEST-NET-1)", "RFC 5737", No),
    v4(192, 31, 196, 0, 24, "AS112-v4", "RFC 7535", Yes),
    v4(192, 52, 193, 0, 24, "AMT", "RFC 7450", Yes),
    v4(192, 88, 99, 0, 24, "deprecated (6to4 relay anycast)", "RFC 7526", NotApplicable),
    v4(192, 88, 99, 2, 32, "6a44-relay anycast address", "RFC 6751", No),
    v4(192, 168, 0, 0, 16, "private-use", "RFC 1918", No),
    v4(192, 175, 48, 0, 24, "direct delegation AS112 service", "RFC 7534", Yes),
    v4(198, 18, 0, 0, 15, "benchmarking", "RFC 2544", No),
    v4(198, 51, 100, 0, 24, "documentation (TEST-NET-2)", "RFC 5737", No),
    v4(203, 0, 113, 0, 24, "documentation (TEST-NET-3)", "RFC 5737", No),
    v4(240, 0, 0, 0, 4, "reserved", "RFC 1112 §4", No),
    v4(255, 255, 255, 255, 32, "limited broadcast", "RFC 8190, RFC 919 §7", No),
    // Not in the special-purpose registry: IANA IPv4 Multicast Address Space.
    extra(v4(224, 0, 0, 0, 4, "multicast", "RFC 5771", No)),
];

/// IANA IPv6 Special-Purpose Address Registry, every entry, and Lockgate's
/// additions: only global unicast (`2000::/3`) is reachable, and the
/// deprecated IPv4-carrying forms are judged by what they carry.
#[rustfmt::skip]
pub static IPV6: &[Block] = &[
    v6([0, 0, 0, 0, 0, 0, 0, 1], 128, "loopback", "RFC 4291", No, None),
    v6([0; 8], 128, "unspecified", "RFC 4291", No, None),
    v6([0, 0, 0, 0, 0, 0xffff, 0, 0], 96, "IPv4-mapped", "RFC 4291", No, Some(Embedding::Mapped)),
    v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96, "IPv4-IPv6 translation (NAT64 well-known prefix)",
        "RFC 6052", Yes, Some(Embedding::Nat64)),
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48, "IPv4-IPv6 translation (NAT64 local-use prefix)",
        "RFC 8215", No, Some(Embedding::Nat64LocalUse)),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only", "RFC 6666", No, None),
    v6([0x100, 0, 0, 1, 0, 0, 0, 0], 64, "dummy IPv6 prefix", "RFC 9780", No, None),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23, "IETF protocol assignments", "RFC 2928", No, None),
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32, "Teredo", "RFC 4380, RFC 8190", NotApplicable,
        Some(Embedding::Teredo)),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 1], 128, "Port Control Protocol anycast", "RFC 7723", Yes, None),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 2], 128, "TURN anycast", "RFC 8155", Yes, None),
    v6([0x2001, 1, 0, 0, 0, 0, 0, 3], 128, "DNS-SD SRP anycast", "RFC 9665", Yes, None),
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48, "benchmarking", "RFC 5180, RFC Errata 1752", No, None),
    v6([0x2001, 3, 0, 0, 0, 0, 0, 0], 32, "AMT", "RFC 7450", Yes, None),
    v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48, "AS112-v6", "RFC 7535", Yes, None),
    v6([0x2001, 0x10, 0, 0, 0, 0, 0, 0], 28, "deprecated (previously ORCHID)", "RFC 4843",
        NotApplicable, None),
    v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28, "ORCHIDv2", "RFC 7343", Yes, None),
    v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28, "drone remote ID protocol entity tags (DETs)",
        "RFC 9374", Yes, None),
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32, "documentation", "RFC 3849", No, None),
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16, "6to4", "RFC 3056", NotApplicable,
        Some(Embedding::SixToFour)),
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48, "direct delegation AS112 service", "RFC 7534",
        Yes, None),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation", "RFC 9637", No, None),
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16, "segment routing (SRv6) SIDs", "RFC 9602", No, None),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local", "RFC 4193, RFC 8190", No, None),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local", "RFC 4291", No, None),
    // Lockgate's additions, from the IANA IPv6 Address Space registry and
    // RFC 4291: only global unicast is reachable; the rest of the space is
    // reserved or unassigned. The deprecated IPv4-carrying forms are
    // judged by the address they carry.
    extra(v6([0; 8], 0, "outside global unicast", "RFC 4291 §2.4", No, None)),
    extra(v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3, "global unicast", "RFC 4291 §2.4", Yes, None)),
    extra(v6([0; 8], 96, "IPv4-compatible (deprecated)", "RFC 4291 §2.5.5.1", NotApplicable,
        Some(Embedding::Compatible))),
    extra(v6([0, 0, 0, 0, 0xffff, 0, 0, 0], 96, "IPv4-translated (SIIT)", "RFC 2765 §2.1",
        NotApplicable, Some(Embedding::Translated))),
    extra(v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local (deprecated)", "RFC 3879", No, None)),
    extra(v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast", "RFC 4291 §2.7", No, None)),
];

/// Instance metadata services: never reachable, not even where the
/// operator allowed the host.
pub static METADATA: &[(IpAddr, &str)] = &[
    (
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
        "AWS, GCP, Azure, OpenStack instance metadata",
    ),
    (
        IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
        "Alibaba Cloud instance metadata",
    ),
    (
        IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),
        "Azure WireServer",
    ),
    (
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
        "AWS instance metadata (IPv6)",
    ),
];

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn from_bits(value: u128, width: u8) -> IpAddr {
    if width == 32 {
        IpAddr::V4(Ipv4Addr::from(value as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

impl Block {
    fn host_mask(&self) -> u128 {
        let (_, width) = bits(self.network);
        let all = if width == 128 {
            u128::MAX
        } else {
            (1u128 << width) - 1
        };
        all.checked_shr(u32::from(self.len)).unwrap_or(0)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let (net, width) = bits(self.network);
        let (addr, w) = bits(ip);
        w == width && addr & !self.host_mask() == net
    }

    pub fn first(&self) -> IpAddr {
        self.network
    }

    pub fn last(&self) -> IpAddr {
        let (net, width) = bits(self.network);
        from_bits(net | self.host_mask(), width)
    }

    /// The address halfway through the block.
    pub fn middle(&self) -> IpAddr {
        let (net, width) = bits(self.network);
        from_bits(net + self.host_mask().div_ceil(2), width)
    }

    /// Whether addresses of the block (that carry no IPv4 address) may be
    /// reached.
    pub fn reachable(&self) -> bool {
        self.global == Yes
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.len)
    }
}

/// The most specific block containing `ip`, if any.
pub fn block_of(ip: IpAddr) -> Option<&'static Block> {
    let table = if ip.is_ipv4() { IPV4 } else { IPV6 };
    table
        .iter()
        .filter(|b| b.contains(ip))
        .max_by_key(|b| b.len)
}

/// Why an address may not be reached.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The block that decided; `None` for a metadata address.
    pub block: Option<&'static Block>,
    pub metadata: bool,
    /// For an IPv6 address carrying an IPv4 one: that address and why it
    /// was refused.
    pub carried: Option<(Ipv4Addr, Box<Refusal>)>,
}

impl fmt::Display for Refusal {
    /// `(loopback): 127.0.0.0/8 is not globally reachable (RFC 1122 §3.2.1.3)`,
    /// `(a cloud metadata address)`, or for an IPv6 address carrying an
    /// IPv4 one, the block and then the carried address's refusal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.metadata && self.carried.is_none() {
            return f.write_str("(a cloud metadata address)");
        }
        let Some(block) = self.block else {
            return f.write_str("(a prohibited address)");
        };
        match (&self.carried, block.embeds) {
            (Some((v4, inner)), Some(embeds)) => write!(
                f,
                "({} {v4}): {block} ({}, {}) carries {v4} {inner}",
                embeds.describe(),
                block.name,
                block.rfc
            ),
            _ => {
                let why = if block.global == No {
                    "is not globally reachable"
                } else {
                    "may not be reached"
                };
                write!(f, "({}): {block} {why} ({})", block.name, block.rfc)
            }
        }
    }
}

/// Whether `ip` may be reached; if not, why.
pub fn check(ip: IpAddr) -> Result<(), Refusal> {
    if METADATA.iter().any(|(m, _)| *m == ip) {
        return Err(Refusal {
            block: block_of(ip),
            metadata: true,
            carried: None,
        });
    }
    let Some(block) = block_of(ip) else {
        return Ok(()); // IPv4 unicast outside every special block
    };
    if let (IpAddr::V6(v6), Some(embeds)) = (ip, block.embeds) {
        for v4 in embeds.carried(v6) {
            check(IpAddr::V4(v4)).map_err(|inner| Refusal {
                block: Some(block),
                metadata: inner.metadata,
                carried: Some((v4, Box::new(inner))),
            })?;
        }
        return Ok(());
    }
    if block.reachable() {
        Ok(())
    } else {
        Err(Refusal {
            block: Some(block),
            metadata: false,
            carried: None,
        })
    }
}

#[cfg(test)]
mod tests;
