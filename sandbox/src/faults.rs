//! The faults a request can ask for with `X-Sandbox-Fault`, and random faults for soak tests: a seeded,
//! reproducible choice of the same faults.

use std::sync::Mutex;
use std::time::Duration;

/// The faults asked for one request (`X-Sandbox-Fault`), or drawn at random.
#[derive(Default)]
pub(crate) struct Faults {
    pub(crate) delay: Option<Duration>,
    pub(crate) status: Option<(u16, Option<String>)>,
    pub(crate) reset: bool,
    pub(crate) truncate: bool,
    pub(crate) bad_signature: bool,
    pub(crate) wrong_serial: bool,
    pub(crate) stale_timestamp: bool,
    pub(crate) no_signature: bool,
    pub(crate) corrupt: bool,
}

/// Parses an `X-Sandbox-Fault` value (comma-separated faults).
pub(crate) fn parse_faults(value: Option<&str>) -> Result<Faults, String> {
    let mut f = Faults::default();
    for item in value.unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match item.split_once('=') {
            Some(("delay", ms)) => {
                f.delay = Some(Duration::from_millis(ms.parse().map_err(|_| format!("bad delay `{ms}`"))?));
            }
            Some(("status", spec)) => {
                let (code, name) = match spec.split_once(':') {
                    Some((c, n)) => (c, Some(n.to_owned())),
                    None => (spec, None),
                };
                let code: u16 =
                    code.parse().ok().filter(|c| (100..600).contains(c)).ok_or(format!("bad status `{spec}`"))?;
                f.status = Some((code, name));
            }
            None if item == "reset" => f.reset = true,
            None if item == "truncate" => f.truncate = true,
            None if item == "bad-signature" => f.bad_signature = true,
            None if item == "wrong-serial" => f.wrong_serial = true,
            None if item == "stale-timestamp" => f.stale_timestamp = true,
            None if item == "no-signature" => f.no_signature = true,
            None if item == "corrupt" => f.corrupt = true,
            _ => return Err(format!("unknown sandbox fault `{item}`")),
        }
    }
    Ok(f)
}

/// The error code WeChat Pay uses with `status`.
pub(crate) fn default_code(status: u16) -> &'static str {
    match status {
        400 => "PARAM_ERROR",
        401 => "SIGN_ERROR",
        403 => "NO_AUTH",
        404 => "RESOURCE_NOT_EXISTS",
        429 => "FREQUENCY_LIMITED",
        500 => "SYSTEM_ERROR",
        _ => "SANDBOX_FAULT",
    }
}

/// Faults drawn at a given rate from a seeded generator: the same seed and the same request order give
/// the same faults.
pub(crate) struct RandomFaults {
    /// Probability that a request gets a fault, in `0.0..=1.0`.
    rate: f64,
    /// Longest `delay` fault.
    max_delay: Duration,
    state: Mutex<u64>,
}

/// The kinds drawn, with equal weight.
const KINDS: u64 = 9;

impl RandomFaults {
    pub(crate) fn new(rate: f64, seed: u64, max_delay: Duration) -> Result<RandomFaults, String> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("the fault rate {rate} must be between 0 and 1"));
        }
        Ok(RandomFaults { rate, max_delay, state: Mutex::new(seed) })
    }

    /// SplitMix64: small, fast, and good enough to spread faults evenly.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The faults for the next request (none most of the time).
    pub(crate) fn draw(&self) -> Faults {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let roll = (Self::next(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
        if roll >= self.rate {
            return Faults::default();
        }
        let kind = Self::next(&mut state) % KINDS;
        let mut faults = Faults::default();
        match kind {
            0 => faults.status = Some((500, Some("SYSTEM_ERROR".to_owned()))),
            1 => faults.status = Some((429, Some("FREQUENCY_LIMITED".to_owned()))),
            2 => faults.reset = true,
            3 => faults.truncate = true,
            4 => faults.bad_signature = true,
            5 => faults.wrong_serial = true,
            6 => faults.stale_timestamp = true,
            7 => faults.no_signature = true,
            _ => {
                let max = u64::try_from(self.max_delay.as_millis()).unwrap_or(u64::MAX).max(1);
                faults.delay = Some(Duration::from_millis(Self::next(&mut state) % max + 1));
            }
        }
        faults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_reproducibility() {
        let a = RandomFaults::new(0.1, 42, Duration::from_millis(100)).unwrap();
        let b = RandomFaults::new(0.1, 42, Duration::from_millis(100)).unwrap();
        let faulty = |f: &Faults| {
            f.status.is_some()
                || f.reset
                || f.truncate
                || f.bad_signature
                || f.wrong_serial
                || f.stale_timestamp
                || f.no_signature
                || f.delay.is_some()
        };
        let draws: Vec<bool> = (0..10_000).map(|_| faulty(&a.draw())).collect();
        let again: Vec<bool> = (0..10_000).map(|_| faulty(&b.draw())).collect();
        assert_eq!(draws, again, "the same seed gives the same faults");
        let count = draws.iter().filter(|f| **f).count();
        assert!((800..1200).contains(&count), "about 10 %: {count}");
        assert!(RandomFaults::new(1.5, 0, Duration::ZERO).is_err());
        let never = RandomFaults::new(0.0, 7, Duration::ZERO).unwrap();
        assert!((0..1000).all(|_| !faulty(&never.draw())));
    }
}
