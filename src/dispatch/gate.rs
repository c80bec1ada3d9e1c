//! The rate gate: a pacer that spaces requests evenly, just under the configured rate, plus a
//! pause that an organisation rate-limit 429 imposes on every sender at once.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How much network jitter the pacing absorbs: `n + 1` requests are spread over 60 s plus this.
///
/// Requests sent exactly `60 / n` s apart reach the server 60.0 s apart from the first to the
/// `n + 1`-th; a little jitter (the first one slow, the last one fast) puts all `n + 1` in one
/// 60-second window at the server, and the last draws a 429 (one full window in eight at 60/min,
/// one in four at 150/min, with up to 800 ms of jitter: see BENCHMARKS.md). Spread over 61 s instead, `n + 1`
/// requests span at least 61 s when sent, so at least 60 s when they arrive, as long as no
/// request is delayed more than about a second longer than another. The cost is a rate of
/// 60/61 = 0.984 of the configured one, at every rate.
pub const JITTER_MARGIN: Duration = Duration::from_secs(1);

/// The time between two requests at `n` requests per minute: `(60 s + JITTER_MARGIN) / n`,
/// rounded up to the nanosecond so that `n` of them never add up to less than 61 s.
pub fn period(requests_per_minute: NonZeroU32) -> Duration {
    let window = (Duration::from_secs(60) + JITTER_MARGIN).as_nanos();
    let nanos = window.div_ceil(u128::from(requests_per_minute.get()));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// Hands out send times, one `period` apart, in the order senders ask.
///
/// A burst of one: `governor`'s `Quota::per_minute(n)` would let `n` requests out at once, and
/// right after a previous run (or another client of the same organisation) used its budget,
/// such a burst is exactly what earns a 429. So each request gets its own slot.
///
/// Slots are reserved when a sender starts waiting and follow the previous *slot*, not the
/// moment the previous sender actually woke up. A limiter that spaces requests from the actual
/// send (a GCRA with a burst of one, as `governor` is) lets every late wake-up (a millisecond of
/// timer granularity, a busy core) push all later requests back: at 1,200 a minute that lost
/// 0.4 % of the rate, more than the margin leaves. Here lateness is not carried forward; it is
/// at most a few milliseconds, well inside [`JITTER_MARGIN`].
#[derive(Debug)]
struct Pacer {
    period: Duration,
    /// The slot the next sender gets (or now, if that has passed).
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(requests_per_minute: NonZeroU32) -> Pacer {
        Pacer {
            period: period(requests_per_minute),
            next: Mutex::new(None),
        }
    }

    /// Reserves the next slot for a sender asking at `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let slot = next.map_or(now, |n| n.max(now));
        *next = Some(slot + self.period);
        slot
    }
}

/// The pacer, plus a pause that a rate-limit 429 imposes on every sender at once.
pub struct Gate {
    pacer: Pacer,
    paused_until: Mutex<Option<Instant>>,
    /// A preview's next slot, on the run's clock (see [`Gate::preview_slot`]).
    preview_next: Mutex<Option<chrono::DateTime<chrono::Utc>>>,
}

impl Gate {
    pub fn new(requests_per_minute: NonZeroU32) -> Gate {
        Gate {
            pacer: Pacer::new(requests_per_minute),
            paused_until: Mutex::new(None),
            preview_next: Mutex::new(None),
        }
    }

    /// For a preview, which waits for nothing: when a call asking from `earliest` (the run's
    /// start, or when a held call may go) would get its slot, on the run's clock, one period
    /// after the slot before, as [`Gate::ready`] hands them out. So a preview sees which calls
    /// the window cannot hold at this rate.
    pub fn preview_slot(
        &self,
        earliest: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let period = chrono::Duration::from_std(self.pacer.period).unwrap_or(chrono::Duration::MAX);
        let mut next = self.preview_next.lock().unwrap_or_else(|p| p.into_inner());
        let slot = next.map_or(earliest, |n| n.max(earliest));
        *next = Some(slot + period);
        slot
    }

    /// Waits until a request may leave: any pause is over and its slot has come.
    pub async fn ready(&self) {
        loop {
            if let Some(until) = self.paused() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            let now = Instant::now();
            let slot = self.pacer.reserve(now);
            // A slot that has come goes at once: the dispatcher asks for slots one after
            // another, and a timer (even one already due) costs a turn of tokio's 1 ms clock.
            if slot > now {
                tokio::time::sleep_until(slot).await;
            }
            // A 429 may have paused everything while we waited for the slot (which is then
            // given up: a later one is reserved once the pause is over).
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn pacer(requests_per_minute: u32) -> Pacer {
        Pacer::new(NonZeroU32::new(requests_per_minute).unwrap())
    }

    #[test]
    fn sixty_per_minute_allows_one_request_per_second_and_no_burst() {
        let pacer = pacer(60);
        let t0 = Instant::now();
        assert_eq!(pacer.reserve(t0), t0, "the first request goes at once");
        // No burst: the second must wait one second, plus a sixtieth of the jitter margin
        // (61 s / 60 = 1.0167 s).
        let second = pacer.reserve(t0);
        assert!(
            second - t0 > Duration::from_millis(1016),
            "not before 61/60 s"
        );
        assert!(second - t0 < Duration::from_millis(1017));
        // A sender that comes after a quiet spell goes at once.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(pacer.reserve(later), later);
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

    /// When each of `senders` busy senders' requests leaves over `span`: each asks for a slot
    /// when its previous request has left, and wakes up `late(i)` after its slot (timer
    /// granularity, a busy machine).
    fn sends(
        requests_per_minute: u32,
        senders: usize,
        span: Duration,
        late: impl Fn(usize) -> Duration,
    ) -> Vec<Duration> {
        let pacer = pacer(requests_per_minute);
        let t0 = Instant::now();
        let mut asking = vec![t0; senders];
        let mut sent = Vec::new();
        while sent.last().is_none_or(|last| *last < span) {
            // The sender that asks first gets the next slot.
            let who = (0..senders).min_by_key(|s| asking[*s]).unwrap_or(0);
            let left = pacer.reserve(asking[who]) + late(sent.len());
            asking[who] = left;
            sent.push(left - t0);
        }
        sent.sort();
        sent
    }

    #[test]
    fn no_sixty_second_window_holds_more_than_the_quota() {
        // Five minutes at 60 a minute, four senders.
        let allowed = sends(60, 4, Duration::from_secs(300), |_| Duration::ZERO);
        for (i, start) in allowed.iter().enumerate() {
            let in_window = allowed[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::from_secs(60))
                .count();
            assert!(
                in_window <= 60,
                "{in_window} requests in the minute from {start:?}"
            );
        }
        assert!(
            allowed.len() >= 294,
            "at least 0.98 of the configured rate: {} in five minutes",
            allowed.len()
        );
    }

    #[test]
    fn a_second_of_jitter_cannot_put_one_request_too_many_in_a_window_at_the_server() {
        // Senders wake up to 3 ms late (a pseudo-random pattern), as on a loaded machine.
        let late = |i: usize| Duration::from_micros((i as u64 * 7919) % 3000);
        for rpm in [1, 60, 600, 1200, 6000] {
            let sent = sends(rpm, 16, Duration::from_secs(200), late);
            let n = rpm as usize;
            // Any n + 1 requests leave at least 61 s apart, first to last, less the lateness of
            // the first. Delay the first by up to the rest of the margin and the last by
            // nothing: they still arrive 60 s or more apart, so no 60-second window at the
            // server holds all of them.
            for (first, last) in sent.iter().zip(&sent[n..]) {
                assert!(
                    *last - *first >= Duration::from_secs(61) - Duration::from_millis(3),
                    "{rpm}/min: request {n} after {first:?} left at {last:?}"
                );
            }
            // Late wake-ups are not carried forward: the rate stays at 60/61 of the configured.
            let span = sent[sent.len() - 1] - sent[0];
            let per_minute = (sent.len() - 1) as f64 / span.as_secs_f64() * 60.0;
            assert!(
                per_minute >= 0.98 * rpm as f64,
                "{rpm}/min configured, {per_minute:.1}/min paced"
            );
        }
    }
}
