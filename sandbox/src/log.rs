//! The request log: the latest requests, up to a capacity, so a sandbox can run for days.

use std::collections::VecDeque;

use crate::LoggedRequest;

/// The latest requests, oldest first, at most `capacity` of them.
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    capacity: usize,
    dropped: u64,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> RequestLog {
        RequestLog { entries: VecDeque::new(), capacity, dropped: 0 }
    }

    /// Appends `entry`, dropping the oldest one when full.
    pub(crate) fn push(&mut self, entry: LoggedRequest) {
        if self.capacity == 0 {
            self.dropped += 1;
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(entry);
    }

    pub(crate) fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Verdict;

    fn entry(n: usize) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            target: format!("/{n}"),
            headers: Vec::new(),
            body: bytes::Bytes::new(),
            verdict: Verdict::Control,
            status: 200,
            tls: false,
            client_cert: false,
        }
    }

    #[test]
    fn keeps_the_latest() {
        let mut log = RequestLog::new(3);
        for n in 0..5 {
            log.push(entry(n));
        }
        let targets: Vec<String> = log.entries().into_iter().map(|e| e.target).collect();
        assert_eq!(targets, ["/2", "/3", "/4"]);
        assert_eq!(log.dropped(), 2);
        let mut none = RequestLog::new(0);
        none.push(entry(0));
        assert!(none.entries().is_empty());
        assert_eq!(none.dropped(), 1);
    }
}
