//! The board's sync health: how many cards are in sync, syncing, failed
//! (with the reason), disconnected and disabled, with "Retry failed" and
//! "Re-sync this board", then each tool's line: its access and the edits
//! on their way there. While writes are queued (to Miro or to a tool), it
//! looks again every two seconds until they settle.

use leptos::prelude::*;

use super::{spawn, PanelState};
use crate::panel::{
    board_health, resync_board, retry_failed, ArrivalChecks, BoardHealth, PanelError, SourceAccess,
    SourceHealth, SourceWrites, ARRIVALS_WINDOW_HOURS,
};

/// How often the view looks again while cards are syncing, in ms.
const POLL_MS: u64 = 2_000;

#[component]
pub(super) fn Health(state: PanelState, first: BoardHealth) -> impl IntoView {
    let health = RwSignal::new(first);
    let busy = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    // Bumped to look again; a poll only goes on while this is the latest.
    let generation = RwSignal::new(0u64);

    let show = move |answer: Result<BoardHealth, PanelError>| match answer {
        Ok(now) => {
            health.set(now);
            message.set(None);
        }
        Err(error) => message.set(Some(error.to_string())),
    };
    // Refreshes, then keeps refreshing while anything is queued.
    let watch = move || {
        let mine = generation.get_untracked() + 1;
        generation.set(mine);
        spawn(async move {
            loop {
                show(board_health(state.session.get_value()).await);
                let settled = health.with_untracked(|h| {
                    h.syncing == 0
                        && h.failed.is_empty()
                        && h.sources.iter().all(|s| s.writes.waiting == 0)
                });
                if settled || generation.get_untracked() != mine {
                    break;
                }
                sleep(POLL_MS).await;
                if generation.get_untracked() != mine {
                    break;
                }
            }
        });
    };
    Effect::new(move |previous: Option<()>| {
        state.board_changed.track();
        if previous.is_some() {
            watch();
        }
    });

    let act = move |retry: bool| {
        busy.set(true);
        spawn(async move {
            let session = state.session.get_value();
            let answer = if retry {
                retry_failed(session).await
            } else {
                resync_board(session).await
            };
            show(answer);
            busy.set(false);
            watch();
        });
    };

    view! {
        <section class="panel-section" aria-labelledby="health-title" data-testid="health">
            <h2 id="health-title">"This board's sync"</h2>
            <dl class="panel-health">
                <dt>"In sync"</dt><dd data-testid="health-in-sync">{move || health.with(|h| h.in_sync)}</dd>
                <dt>"Syncing"</dt><dd data-testid="health-syncing">{move || health.with(|h| h.syncing)}</dd>
                <dt>"Failed"</dt><dd data-testid="health-failed">{move || health.with(|h| h.failed.len())}</dd>
                <dt>"Disconnected"</dt><dd data-testid="health-disconnected">{move || health.with(|h| h.disconnected)}</dd>
                <dt>"Disabled"</dt><dd data-testid="health-disabled">{move || health.with(|h| h.disabled)}</dd>
            </dl>
            <ul class="panel-outcomes" data-testid="health-sources">
                {move || health.with(|h| h.sources.iter().map(source_line).collect_view())}
                {move || health.with(|h| arrival_items(arrival_lines("cards connected on this board", &h.connected)))}
            </ul>
            <ul class="panel-outcomes" data-testid="health-failures">
                {move || health.with(|h| h.failed.iter().map(|card| view! {
                    <li class="panel-outcome panel-outcome--failed" data-testid="health-failure" data-item-id=card.item_id.clone()>
                        <span class="panel-outcome__title">{card.title.clone()}</span>
                        <span class="panel-outcome__text">{format!("{} (after {} attempts)", card.reason, card.attempts)}</span>
                    </li>
                }).collect_view())}
            </ul>
            <div class="panel-row">
                <button type="button" class="button button--secondary" data-testid="health-retry"
                    disabled=move || busy.get() || health.with(|h| h.failed.is_empty()) on:click=move |_| act(true)>
                    "Retry failed"
                </button>
                <button type="button" class="button button--secondary" data-testid="health-resync" disabled=move || busy.get() on:click=move |_| act(false)>
                    "Re-sync this board"
                </button>
                <button type="button" class="button button--tertiary" data-testid="health-refresh" on:click=move |_| watch()>
                    "Refresh"
                </button>
            </div>
            <p class="panel-message panel-message--error" role="alert" data-testid="health-error">{move || message.get()}</p>
        </section>
    }
}

/// One tool's line: whether the app can still reach it, and what to do
/// when it cannot.
fn source_line(source: &SourceHealth) -> impl IntoView {
    let (class, text) = match &source.access {
        SourceAccess::Unknown => ("panel-outcome", format!("{}: not asked yet", source.name)),
        SourceAccess::Working => ("panel-outcome", format!("{}: connected", source.name)),
        SourceAccess::Reconnect { reason } => (
            "panel-outcome panel-outcome--failed",
            format!("{}: reconnect needed. {reason}", source.name),
        ),
    };
    let state = match source.access {
        SourceAccess::Unknown => "unknown",
        SourceAccess::Working => "connected",
        SourceAccess::Reconnect { .. } => "reconnect",
    };
    let arrivals = arrival_items(arrival_lines(&source.name, &source.arrivals));
    let writes = write_lines(&source.name, &source.writes)
        .into_iter()
        .map(|(failed, kind, text)| {
            let class = if failed {
                "panel-outcome panel-outcome--failed"
            } else {
                "panel-outcome"
            };
            view! {
                <li class=class data-testid="health-source-writes" data-kind=kind>
                    <span class="panel-outcome__text">{text}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <li class=class data-testid="health-source" data-state=state>
            <span class="panel-outcome__text">{text}</span>
        </li>
        {writes}
        {arrivals}
    }
}

/// The lines of [`arrival_lines`], as list items.
fn arrival_items(lines: Vec<(&'static str, String)>) -> impl IntoView {
    lines
        .into_iter()
        .map(|(kind, text)| {
            view! {
                <li class="panel-outcome panel-outcome--failed" data-testid="health-arrivals" data-kind=kind>
                    <span class="panel-outcome__text">{text}</span>
                </li>
            }
        })
        .collect_view()
}

/// The longest part of a sync log row the health view quotes.
const QUOTED_CHARS: usize = 300;

/// What the health view says about what arrived from `from` (a tool, or
/// the board's connected cards) and was not all taken: each line is (its
/// kind, its words). Nothing when all was taken.
pub fn arrival_lines(from: &str, checks: &ArrivalChecks) -> Vec<(&'static str, String)> {
    let times = |n: u64| {
        if n == 1 {
            "once".to_owned()
        } else {
            format!("{n} times")
        }
    };
    let mut lines = Vec::new();
    if checks.dropped > 0 {
        lines.push((
            "dropped",
            format!(
                "From {from}, {} in the last {ARRIVALS_WINDOW_HOURS} hours: parts a card cannot \
                 show were left out, the rest kept.",
                times(checks.dropped)
            ),
        ));
    }
    if checks.refused > 0 {
        lines.push((
            "refused",
            format!(
                "From {from}, {} in the last {ARRIVALS_WINDOW_HOURS} hours: an item could not \
                 become a record.",
                times(checks.refused)
            ),
        ));
    }
    if let (Some(latest), false) = (&checks.latest, lines.is_empty()) {
        let mut quoted: String = latest.chars().take(QUOTED_CHARS).collect();
        if quoted.len() < latest.len() {
            quoted.push('…');
        }
        lines.push(("latest", format!("Latest: {quoted}")));
    }
    lines
}

/// What the health view says about edits on their way to a tool: each
/// line is (a failure, its kind, its words). Nothing when all have landed.
pub fn write_lines(tool: &str, writes: &SourceWrites) -> Vec<(bool, &'static str, String)> {
    let edits = |n: u64| {
        if n == 1 {
            "1 edit".to_owned()
        } else {
            format!("{n} edits")
        }
    };
    let why = writes
        .last_error
        .as_deref()
        .map(|e| format!(" Last error: {e}."))
        .unwrap_or_default();
    let mut lines = Vec::new();
    if writes.waiting > 0 {
        let mut text = format!("{} waiting to reach {tool}.", edits(writes.waiting));
        if writes.retrying > 0 {
            text.push_str(&format!(
                " {} failed and will be tried again.{why}",
                if writes.retrying == 1 {
                    "1 of them".to_owned()
                } else {
                    format!("{} of them", writes.retrying)
                }
            ));
        }
        lines.push((writes.retrying > 0, "waiting", text));
    }
    if writes.conflicts > 0 {
        let records = if writes.conflicts == 1 {
            "1 record was".to_owned()
        } else {
            format!("{} records were", writes.conflicts)
        };
        lines.push((
            true,
            "conflicts",
            format!(
                "{records} changed in {tool} and in Miro: nothing is written until someone opens the card and chooses."
            ),
        ));
    }
    if writes.refused > 0 {
        lines.push((
            true,
            "refused",
            format!(
                "{tool} refused {}; the records keep them.{}",
                edits(writes.refused),
                if writes.retrying > 0 {
                    String::new()
                } else {
                    why
                }
            ),
        ));
    }
    lines
}

/// Waits `ms` milliseconds in the browser (a timer promise).
async fn sleep(ms: u64) {
    #[cfg(feature = "hydrate")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let _ = leptos::prelude::window()
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_on_their_way_are_told_only_when_there_are_some() {
        assert!(write_lines("GitHub", &SourceWrites::default()).is_empty());
        let waiting = SourceWrites {
            waiting: 1,
            ..SourceWrites::default()
        };
        assert_eq!(
            write_lines("GitHub", &waiting),
            [(
                false,
                "waiting",
                "1 edit waiting to reach GitHub.".to_owned()
            )]
        );
    }

    #[test]
    fn failures_conflicts_and_refusals_each_get_a_failed_line_with_the_reason() {
        let writes = SourceWrites {
            waiting: 3,
            retrying: 2,
            conflicts: 1,
            refused: 4,
            last_error: Some("GitHub is unavailable: 502".to_owned()),
        };
        let lines = write_lines("GitHub", &writes);
        let kinds: Vec<(bool, &str)> = lines.iter().map(|(f, k, _)| (*f, *k)).collect();
        assert_eq!(
            kinds,
            [(true, "waiting"), (true, "conflicts"), (true, "refused")]
        );
        assert_eq!(
            lines[0].2,
            "3 edits waiting to reach GitHub. 2 of them failed and will be tried again. \
             Last error: GitHub is unavailable: 502."
        );
        assert!(lines[1]
            .2
            .starts_with("1 record was changed in GitHub and in Miro"));
        // The reason is said once, with the retries.
        assert_eq!(lines[2].2, "GitHub refused 4 edits; the records keep them.");
    }

    #[test]
    fn what_arrived_and_was_not_all_taken_is_told_with_the_latest_reason() {
        assert!(arrival_lines("GitHub", &ArrivalChecks::default()).is_empty());
        let checks = ArrivalChecks {
            dropped: 3,
            refused: 1,
            latest: Some(format!("octo/a#1: {}", "x".repeat(400))),
        };
        let lines = arrival_lines("GitHub", &checks);
        let kinds: Vec<&str> = lines.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds, ["dropped", "refused", "latest"]);
        assert_eq!(
            lines[0].1,
            "From GitHub, 3 times in the last 24 hours: parts a card cannot show were left \
             out, the rest kept."
        );
        assert!(lines[1].1.contains("once"));
        assert!(lines[2].1.starts_with("Latest: octo/a#1: xxx") && lines[2].1.ends_with('…'));
        assert!(lines[2].1.chars().count() < 320);
    }
}
