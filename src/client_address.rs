//! The client's address, read the way the deployment says it arrives: from the TCP peer, or
//! from the headers a configured number of trusted proxies append. Everything keyed on the
//! client (its fair shares of the store's quota) reads it through `client_key`.
//!
//! - `X-Forwarded-For` is read from the right: each trusted proxy appends the address it
//!   received the request from, so with `n` trusted hops the client is the `n`-th entry from
//!   the right. Entries to its left were written by the client and are ignored, so a forged
//!   header buys nothing.
//! - `Forwarded` (RFC 7239) is read the same way, only when configured (most proxies still
//!   write `X-Forwarded-For` and pass a client's `Forwarded` through untouched).
//! - IPv6 clients are keyed by their /64: one subscriber usually holds a whole /64, so keying
//!   by the full address would hand an abuser 2^64 fresh budgets.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::{ready, Ready};

use crate::configuration::RateLimitSettings;

/// How client addresses reach this service.
#[derive(Debug, Clone, Default)]
pub struct ClientAddressPolicy {
    /// Proxies in front of the service that append to `X-Forwarded-For` (0: none, use the peer).
    trusted_proxy_hops: usize,
    /// Read `Forwarded` instead of `X-Forwarded-For`.
    use_forwarded_header: bool,
}

impl ClientAddressPolicy {
    pub fn new(settings: &RateLimitSettings) -> Self {
        Self {
            trusted_proxy_hops: settings.trusted_proxy_hops as usize,
            use_forwarded_header: settings.use_forwarded_header,
        }
    }

    /// The client's address for rate limiting (an IPv6 address cut to its /64).
    pub fn client_key(&self, request: &HttpRequest) -> Option<IpAddr> {
        self.client_address(request).map(rate_limit_key)
    }

    /// The client's address as the trusted proxies report it, or the peer's.
    pub fn client_address(&self, request: &HttpRequest) -> Option<IpAddr> {
        let peer = request.peer_addr().map(|addr| addr.ip());
        if self.trusted_proxy_hops == 0 {
            return peer;
        }
        let parse: fn(&str) -> Option<IpAddr> = if self.use_forwarded_header {
            forwarded_for
        } else {
            parse_node
        };
        let name = if self.use_forwarded_header {
            "forwarded"
        } else {
            "x-forwarded-for"
        };
        let lines: Vec<_> = header_values(request, name).collect();
        let chain: Vec<Option<IpAddr>> = lines
            .iter()
            .flat_map(|value| value.split(','))
            .map(parse)
            .collect();
        pick_from_right(&chain, self.trusted_proxy_hops).or(peer)
    }
}

/// Every value of a header, in order (a proxy may add its own line rather than append). A line
/// with bytes that are not visible ASCII (a client can write anything left of the proxies'
/// entries) is read lossily rather than dropped: dropping it would shift the entries the
/// proxies wrote, and the bad bytes only spoil the client's own entries.
fn header_values<'a>(
    request: &'a HttpRequest,
    name: &str,
) -> impl Iterator<Item = std::borrow::Cow<'a, str>> {
    request
        .headers()
        .get_all(name)
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
}

/// The `hops`-th entry from the right. With fewer entries than trusted hops the request did
/// not come through the proxies (every entry may be forged), and an entry a proxy could not
/// fill in (`unknown`) names nobody: the caller then falls back to the peer.
fn pick_from_right(chain: &[Option<IpAddr>], hops: usize) -> Option<IpAddr> {
    let index = chain.len().checked_sub(hops)?;
    chain.get(index).copied().flatten()
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`[v6]:port`, `v4:port`).
/// `None` for anything else.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok()
}

/// The `for=` address of one `Forwarded` element (`for=192.0.2.60;proto=https`,
/// `for="[2001:db8::1]:4711"`). Obfuscated identifiers (`for=_hidden`, `for=unknown`) void it.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
        .and_then(|(_, value)| parse_node(value))
}

/// The key a client's budget is kept under: IPv4 as is, IPv6 by its /64 prefix.
pub fn rate_limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// Extractor: the client's rate-limit key (`None` when the address cannot be told).
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequest for ClientAddress {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(ClientAddress(client_key(request))))
    }
}

/// The rate-limit key of the request's client, under the application's policy.
pub fn client_key(request: &HttpRequest) -> Option<IpAddr> {
    match request.app_data::<Data<ClientAddressPolicy>>() {
        Some(policy) => policy.client_key(request),
        None => request.peer_addr().map(|addr| rate_limit_key(addr.ip())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn the_client_is_counted_from_the_right() {
        let chain = [
            None,
            Some(ip("6.6.6.6")),
            Some(ip("198.51.100.7")),
            Some(ip("10.0.0.2")),
        ];
        assert_eq!(pick_from_right(&chain, 1), Some(ip("10.0.0.2")));
        assert_eq!(pick_from_right(&chain, 2), Some(ip("198.51.100.7")));
        assert_eq!(pick_from_right(&chain, 4), None);
        assert_eq!(pick_from_right(&chain, 5), None);
        assert_eq!(pick_from_right(&[], 1), None);
    }

    #[test]
    fn nodes_with_ports_and_brackets_parse() {
        assert_eq!(parse_node(" 192.0.2.1 "), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("192.0.2.1:8080"), Some(ip("192.0.2.1")));
        assert_eq!(parse_node("[2001:db8::1]:4711"), Some(ip("2001:db8::1")));
        assert_eq!(parse_node("\"[2001:db8::1]\""), Some(ip("2001:db8::1")));
        assert_eq!(parse_node("unknown"), None);
        assert_eq!(
            forwarded_for("for=\"[2001:db8:cafe::17]:4711\";proto=https"),
            Some(ip("2001:db8:cafe::17"))
        );
        assert_eq!(
            forwarded_for("proto=https;For=203.0.113.9"),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(forwarded_for("for=_hidden"), None);
    }

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        assert_eq!(
            rate_limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(rate_limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(rate_limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    }
}
