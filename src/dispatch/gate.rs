//! The rate gate: governor's limiter plus a pause that an organisation rate-limit 429 imposes
//! on every sender at once.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

/// The rate limiter, plus a pause that a rate-limit 429 imposes on every sender at once.
pub struct Gate {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
}

impl Gate {
    pub fn new(requests_per_minute: NonZeroU32) -> Gate {
        Gate {
            limiter: RateLimiter::direct(quota(requests_per_minute)),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits until a request may leave: any pause is over and the limiter has a slot.
    pub async fn ready(&self) {
        loop {
            if let Some(until) = self.paused() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            self.limiter.until_ready().await;
            // A 429 may have paused everything while we waited for the slot.
            if self.paused().is_none() {
                return;
            }
        }
    }

    /// Stops every sender for `wait` (or longer, if a longer pause is already set).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        *paused = Some(paused.map_or(until, |p| p.max(until)));
    }

    fn paused(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        paused.filter(|until| *until > Instant::now())
    }
}

/// The quota for `n` requests per minute, with a burst of one.
///
/// `Quota::per_minute(n)` would also allow a burst of `n`: 60 requests at once, then one a
/// second. Right after a previous run (or another client of the same organisation) used its
/// budget, such a burst is exactly what earns a 429. A burst of one spaces requests evenly,
/// `60 / n` seconds apart, so no 60-second window ever holds more than `n` of them.
pub fn quota(requests_per_minute: NonZeroU32) -> Quota {
    let period = Duration::from_secs(60) / requests_per_minute.get();
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::sync::Arc;

    #[test]
    fn sixty_per_minute_allows_one_request_per_second_and_no_burst() {
        let clock = FakeRelativeClock::default();
        let limiter =
            RateLimiter::direct_with_clock(quota(NonZeroU32::new(60).unwrap()), clock.clone());
        assert!(limiter.check().is_ok(), "the first request goes at once");
        assert!(limiter.check().is_err(), "no burst: the second must wait");
        clock.advance(Duration::from_millis(999));
        assert!(limiter.check().is_err(), "not before a full second");
        clock.advance(Duration::from_millis(1));
        assert!(limiter.check().is_ok());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pause_holds_back_every_waiting_sender() {
        let gate = Arc::new(Gate::new(NonZeroU32::new(60_000).unwrap()));
        gate.pause_for(Duration::from_millis(300));
        let started = Instant::now();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let gate = gate.clone();
                tokio::spawn(async move {
                    gate.ready().await;
                    Instant::now()
                })
            })
            .collect();
        for w in waiters {
            let passed = w.await.unwrap();
            assert!(passed - started >= Duration::from_millis(300));
        }
        // A later, shorter pause does not shorten a longer one already in force.
        gate.pause_for(Duration::from_millis(400));
        gate.pause_for(Duration::from_millis(10));
        let before = Instant::now();
        gate.ready().await;
        assert!(before.elapsed() >= Duration::from_millis(390));
    }

    #[test]
    fn no_sixty_second_window_holds_more_than_the_quota() {
        let clock = FakeRelativeClock::default();
        let limiter =
            RateLimiter::direct_with_clock(quota(NonZeroU32::new(60).unwrap()), clock.clone());
        // Ask every 100 ms for five minutes and note when requests were allowed.
        let mut allowed = Vec::new();
        for tick in 0..3000u64 {
            if limiter.check().is_ok() {
                allowed.push(tick * 100);
            }
            clock.advance(Duration::from_millis(100));
        }
        for (i, start) in allowed.iter().enumerate() {
            let in_window = allowed[i..]
                .iter()
                .take_while(|t| **t < start + 60_000)
                .count();
            assert!(
                in_window <= 60,
                "{in_window} requests in the minute from {start} ms"
            );
        }
        assert!(
            allowed.len() >= 299,
            "the limiter should not be stricter than needed"
        );
    }
}
