//! Failover between hosts: the primary (the base URI's origin) and its backups, in order. Only requests
//! addressed to the primary take part (relative paths, and absolute URLs on the primary such as bill
//! download links); a request sent to any other origin goes there and nowhere else.
//!
//! A host that could not be reached (a connection failure or a timeout; an HTTP answer of any status
//! proves it reachable) is left for the next one, which stays the choice of every call for `hold`.
//! When the hold ends, one call probes the primary again (the others keep using the backup until that
//! probe answers); an answer from the primary ends the failover, another failure restarts the hold.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use http::Uri;
use http::uri::{Authority, Scheme};

pub(crate) use crate::retry::DEFAULT_FAILOVER_HOLD;

/// One host: scheme and authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    scheme: Scheme,
    authority: Authority,
}

impl Origin {
    /// The origin of an absolute `uri`.
    pub(crate) fn of(uri: &Uri) -> Option<Origin> {
        Some(Origin { scheme: uri.scheme()?.clone(), authority: uri.authority()?.clone() })
    }

    /// Parses `https://host[:port]` (a trailing `/` allowed, no other path).
    pub(crate) fn parse(text: &str) -> Result<Origin, String> {
        let uri: Uri = text.parse().map_err(|e| format!("`{text}` is not a URL ({e})"))?;
        let origin = Origin::of(&uri).ok_or_else(|| format!("`{text}` needs a scheme and a host"))?;
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!("`{text}` must be an origin (`https://host[:port]`) without a path or query"));
        }
        if origin.authority.as_str().contains('@') {
            return Err(format!("`{text}` carries credentials in the URL, which is not allowed"));
        }
        Ok(origin)
    }

    /// The host name, for `server.address`.
    pub(crate) fn host(&self) -> &str {
        self.authority.host()
    }

    /// `uri` sent to this origin instead (path and query unchanged).
    fn rewrite(&self, uri: &Uri) -> Option<Uri> {
        let mut parts = uri.clone().into_parts();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        Uri::from_parts(parts).ok()
    }

    fn same(&self, uri: &Uri) -> bool {
        uri.scheme() == Some(&self.scheme)
            && uri.authority().is_some_and(|a| a.as_str().eq_ignore_ascii_case(self.authority.as_str()))
    }
}

/// The hosts of one client and which one calls use now.
#[derive(Debug)]
pub(crate) struct Failover {
    /// The primary first, then the backups.
    origins: Vec<Origin>,
    hold: Duration,
    /// Whether calls currently leave the primary (the fast path reads only this).
    away: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The host calls use while `away`.
    current: usize,
    /// When a call may next probe the primary.
    probe_at: Instant,
}

impl Failover {
    /// `None` without backups: there is nothing to fail over to.
    pub(crate) fn new(primary: Origin, backups: Vec<Origin>, hold: Duration) -> Option<Failover> {
        let mut origins = vec![primary];
        for backup in backups {
            if !origins.contains(&backup) {
                origins.push(backup);
            }
        }
        (origins.len() > 1).then(|| Failover {
            origins,
            hold,
            away: AtomicBool::new(false),
            state: Mutex::new(State { current: 0, probe_at: Instant::now() }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a request to `uri` takes part (it is addressed to the primary).
    pub(crate) fn covers(&self, uri: &Uri) -> bool {
        self.origins[0].same(uri)
    }

    /// The host the first attempt of a call uses.
    pub(crate) fn pick(&self) -> usize {
        if !self.away.load(Ordering::Acquire) {
            return 0;
        }
        let mut state = self.lock();
        let now = Instant::now();
        if state.current != 0 && now >= state.probe_at {
            // This call probes the primary; the others stay away until it answers.
            state.probe_at = now + self.hold;
            return 0;
        }
        state.current
    }

    /// The host after `host`, for the next attempt of the same call.
    pub(crate) fn next(&self, host: usize) -> usize {
        (host + 1) % self.origins.len()
    }

    /// `host` could not be reached: calls move on to the host after it, for the hold.
    pub(crate) fn unreachable(&self, host: usize) {
        let mut state = self.lock();
        let now = Instant::now();
        let away = self.away.load(Ordering::Acquire);
        if host == 0 {
            // The primary failed (first failure, or a failed probe): stay away for another hold.
            if !away {
                state.current = self.next(0);
            }
            state.probe_at = now + self.hold;
            self.away.store(true, Ordering::Release);
        } else if away && state.current == host {
            state.current = self.next(host);
            state.probe_at = now + self.hold;
            if state.current == 0 {
                self.away.store(false, Ordering::Release);
            }
        }
    }

    /// `host` answered: an answer from the primary ends the failover.
    pub(crate) fn reached(&self, host: usize) {
        if host == 0 && self.away.load(Ordering::Acquire) {
            let mut state = self.lock();
            state.current = 0;
            self.away.store(false, Ordering::Release);
        }
    }

    /// `uri` addressed to `host`.
    pub(crate) fn aim(&self, uri: &Uri, host: usize) -> Option<Uri> {
        if host == 0 { None } else { self.origins.get(host).and_then(|o| o.rewrite(uri)) }
    }

    /// The host name of `host`.
    pub(crate) fn host_name(&self, host: usize) -> &str {
        self.origins.get(host).map_or("", Origin::host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failover(hold: Duration) -> Failover {
        let primary = Origin::parse("https://api.mch.weixin.qq.com").unwrap();
        let backup = Origin::parse("https://api2.mch.weixin.qq.com/").unwrap();
        Failover::new(primary, vec![backup], hold).unwrap()
    }

    #[test]
    fn origins() {
        assert!(Origin::parse("https://api2.mch.weixin.qq.com/hk/").is_err());
        assert!(Origin::parse("https://x/?a=1").is_err());
        assert!(Origin::parse("api2.mch.weixin.qq.com").is_err());
        let primary = Origin::parse("http://127.0.0.1:1").unwrap();
        assert!(Failover::new(primary.clone(), vec![primary], DEFAULT_FAILOVER_HOLD).is_none(), "no backup");
        let f = failover(DEFAULT_FAILOVER_HOLD);
        let uri: Uri = "https://api.mch.weixin.qq.com/v3/billdownload/file?token=x".parse().unwrap();
        assert!(f.covers(&uri));
        assert!(!f.covers(&"https://api2.mch.weixin.qq.com/v3/x".parse().unwrap()));
        assert_eq!(f.aim(&uri, 1).unwrap().to_string(), "https://api2.mch.weixin.qq.com/v3/billdownload/file?token=x");
        assert_eq!(f.aim(&uri, 0), None);
        assert_eq!(f.host_name(1), "api2.mch.weixin.qq.com");
    }

    #[test]
    fn sticky_then_probes_back() {
        let f = failover(Duration::from_secs(3600));
        assert_eq!(f.pick(), 0);
        f.unreachable(0);
        assert_eq!((f.pick(), f.pick()), (1, 1), "sticky on the backup during the hold");
        f.reached(1);
        assert_eq!(f.pick(), 1);

        let f = failover(Duration::ZERO);
        f.unreachable(0);
        assert_eq!(f.pick(), 0, "the hold is over: one call probes the primary");
        f.unreachable(0);
        assert_eq!(f.pick(), 0, "and probes again after the next hold");
        f.reached(0);
        assert_eq!(f.pick(), 0);
        assert!(!f.away.load(Ordering::Acquire), "the primary answered: failover over");

        let f = failover(Duration::from_secs(3600));
        f.unreachable(0);
        f.unreachable(1);
        assert_eq!(f.pick(), 0, "the backup failed too: back to the primary");
    }
}
