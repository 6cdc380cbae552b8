//! The address of the client that sent a request, for limits and logs
//! that count per client before anyone has signed in.
//!
//! Without `TRUSTED_PROXIES` it is the TCP peer. Behind a reverse proxy the
//! peer is the proxy, so every browser would look like one; with the
//! proxy's address in `TRUSTED_PROXIES`, the address comes from the
//! forwarding header instead, read from the right: each trusted proxy
//! appends the address it received the request from, so the first entry
//! from the right that is not a trusted proxy is the client. Whatever a
//! client writes in the header itself stands to the left of that and is
//! never read. A hop that names no address (`unknown`, an obfuscated
//! name, garbage) ends the walk at the last address a trusted proxy
//! vouched for. Headers are only ever read: a malformed one never fails a
//! request.
//!
//! `X-Forwarded-For` is read when present (what nginx, HAProxy, Caddy,
//! Traefik, Envoy and the cloud load balancers write), `Forwarded`
//! (RFC 7239) otherwise: a proxy that writes only `Forwarded` must drop
//! an incoming `X-Forwarded-For`, or a client could write it.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// At most this many hops are read from the right of a forwarding header.
const MAX_HOPS: usize = 32;

/// One network, `address/prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or a CIDR like 10.0.0.0/8"))?;
        let address = address.to_canonical();
        let most = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => most,
            Some(prefix) => prefix
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= most)
                .ok_or_else(|| {
                    format!("'{text}': the prefix length must be a number from 0 to {most}")
                })?,
        };
        Ok(Self { address, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.address, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The reverse proxies whose forwarding headers are believed
/// (`TRUSTED_PROXIES`); none by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<Network>,
}

impl TrustedProxies {
    /// Comma-separated addresses and CIDRs (`127.0.0.1, 10.0.0.0/8, ::1`);
    /// blank is none.
    pub fn parse(text: &str) -> Result<Self, String> {
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Network::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self { networks })
    }

    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.networks.iter().any(|network| network.contains(ip))
    }
}

/// The client's address: `peer` (the TCP peer), unless it is a trusted
/// proxy and `headers` say who it forwarded for (see the module docs).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut vouched = peer;
    for hop in hops.iter().rev().take(MAX_HOPS) {
        let Some(address) = hop.as_deref().and_then(node_address) else {
            return vouched;
        };
        if !trusted.contains(address) {
            return address;
        }
        vouched = address;
    }
    vouched
}

/// The hops a forwarding header lists, leftmost first; `None` for a
/// header line that is not text.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<String>> {
    let x_forwarded_for = headers.get_all("x-forwarded-for");
    if x_forwarded_for.iter().next().is_some() {
        return x_forwarded_for
            .iter()
            .flat_map(|line| match line.to_str() {
                Ok(text) => text.split(',').map(|hop| Some(hop.to_owned())).collect(),
                Err(_) => vec![None],
            })
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => split_outside_quotes(text, ',')
                .into_iter()
                .map(|element| Some(forwarded_for(element).unwrap_or_default()))
                .collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// The `for=` value of one `Forwarded` element, unquoted.
fn forwarded_for(element: &str) -> Option<String> {
    split_outside_quotes(element, ';')
        .into_iter()
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

/// `text` split at `separator`, except inside double quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The address in one hop: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:443`; `None` for anything else.
fn node_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(address.to_canonical());
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(|a| a.to_canonical());
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

/// The client's address, as handlers take it (the extractor is in
/// `web::client_address`): `None` when the request
/// came without a TCP peer (a router driven without a socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    /// The address as a limit's key.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(address) => address.fmt(f),
            None => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn networks_are_read_from_addresses_and_cidrs() {
        let trusted = TrustedProxies::parse(" 127.0.0.1, 10.0.0.0/8 ,fd00::/8,, ").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(trusted.contains(ip("10.200.3.4")));
        assert!(trusted.contains(ip("::ffff:10.1.1.1")), "IPv4-mapped");
        assert!(trusted.contains(ip("fd12::1")));
        assert!(!trusted.contains(ip("fe80::1")));
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "proxy.example.org",
            "10.0.0.0/x",
        ] {
            let error = TrustedProxies::parse(bad).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }

    #[test]
    fn without_a_trusted_peer_the_peer_is_the_client() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &forged, &none),
            ip("127.0.0.1")
        );
        let other = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            client_address(ip("127.0.0.1"), &forged, &other),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let peer = ip("127.0.0.1");
        let cases = [
            ("198.51.100.7", "198.51.100.7"),
            // A client's own entries stand to the left of what proxies add.
            ("1.1.1.1, 198.51.100.7", "198.51.100.7"),
            ("1.1.1.1, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
            ("198.51.100.7:5123", "198.51.100.7"),
            ("2001:db8::7", "2001:db8::7"),
            ("[2001:db8::7]:443", "2001:db8::7"),
            // Every hop trusted: the leftmost is the client.
            ("10.0.0.9, 10.0.0.3", "10.0.0.9"),
            // What no address can be read from ends the walk at the last
            // address a trusted proxy vouched for.
            ("198.51.100.7, unknown", "127.0.0.1"),
            ("198.51.100.7, unknown, 10.0.0.3", "10.0.0.3"),
            ("", "127.0.0.1"),
            ("not an address at all", "127.0.0.1"),
        ];
        for (header, client) in cases {
            let headers = headers(&[("x-forwarded-for", header)]);
            assert_eq!(
                client_address(peer, &headers, &trusted),
                ip(client),
                "{header}"
            );
        }
        // Several header lines read as one list, in order.
        let lines = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(client_address(peer, &lines, &trusted), ip("198.51.100.7"));
        // No header: the proxy itself.
        assert_eq!(client_address(peer, &HeaderMap::new(), &trusted), peer);
        // A line that is not text is an unreadable hop.
        let mut binary = headers(&[("x-forwarded-for", "198.51.100.7")]);
        binary.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(client_address(peer, &binary, &trusted), peer);
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        let peer = ip("127.0.0.1");
        let cases = [
            ("for=198.51.100.7", "198.51.100.7"),
            (
                "for=1.1.1.1, for=198.51.100.7;proto=https;by=127.0.0.1",
                "198.51.100.7",
            ),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("proto=https;for=\"198.51.100.7:80\"", "198.51.100.7"),
            ("for=\"a,b\", for=198.51.100.7", "198.51.100.7"),
            ("for=_hidden", "127.0.0.1"),
            ("proto=https", "127.0.0.1"),
            ("for=198.51.100.7, garbage", "127.0.0.1"),
        ];
        for (header, client) in cases {
            let headers = headers(&[("forwarded", header)]);
            assert_eq!(
                client_address(peer, &headers, &trusted),
                ip(client),
                "{header}"
            );
        }
        // With both, X-Forwarded-For is the one read.
        let both = headers(&[
            ("forwarded", "for=203.0.113.1"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(client_address(peer, &both, &trusted), ip("198.51.100.7"));
    }

    #[test]
    fn a_long_header_is_read_only_so_far() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let hops: Vec<String> = (0..100).map(|i| format!("10.0.0.{}", i % 250)).collect();
        let header = format!("198.51.100.7, {}", hops.join(", "));
        let headers = headers(&[("x-forwarded-for", &header)]);
        let client = client_address(ip("10.0.0.1"), &headers, &trusted);
        assert!(
            trusted.contains(client),
            "stops within {MAX_HOPS} hops: {client}"
        );
    }
}
