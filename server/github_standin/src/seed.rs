//! Sample data: GitHub's default labels, three milestones (two with due
//! dates) and as many issues as asked for, the same every run. Seeding is
//! not a change anyone made, so it sends no webhooks.

use time::{macros::datetime, Duration, OffsetDateTime};

use super::world::{Issue, Label, Milestone, State, World, COLLABORATORS, TOKEN_OWNER};

/// GitHub's default labels, with their colours.
const LABELS: &[(&str, &str, &str)] = &[
    ("bug", "d73a4a", "Something isn't working"),
    (
        "documentation",
        "0075ca",
        "Improvements or additions to documentation",
    ),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    ("help wanted", "008672", "Extra attention is needed"),
    ("question", "d876e3", "Further information is requested"),
    ("wontfix", "ffffff", "This will not be worked on"),
];

const VERBS: &[&str] = &[
    "Fix",
    "Document",
    "Speed up",
    "Test",
    "Redesign",
    "Simplify",
    "Translate",
];
const THINGS: &[&str] = &[
    "the login page",
    "CSV export",
    "search results paging",
    "the settings dialog",
    "webhook retries",
    "dark mode",
    "the release checklist",
    "error messages",
    "keyboard shortcuts",
    "the onboarding tour",
    "timezone handling",
];

/// When the seeded issues were made: fixed, so every run is the same.
const EPOCH: OffsetDateTime = datetime!(2025-01-06 09:00 UTC);

/// Adds `count` issues to the repository at `at`, after any it has, with
/// the default labels and milestones if it has none yet.
pub fn seed(world: &mut World, at: usize, count: usize) {
    if world.repos[at].labels.is_empty() {
        for (name, color, description) in LABELS {
            let label = Label {
                id: world.next_id(),
                name: (*name).to_owned(),
                color: (*color).to_owned(),
                description: Some((*description).to_owned()),
                default: true,
            };
            world.repos[at].labels.push(label);
        }
    }
    if world.repos[at].milestones.is_empty() {
        let milestones = [
            ("v1.0", Some(datetime!(2026-03-31 07:00 UTC))),
            ("v1.1", Some(datetime!(2026-06-30 07:00 UTC))),
            ("Someday", None),
        ];
        for (index, (title, due_on)) in milestones.into_iter().enumerate() {
            let milestone = Milestone {
                id: world.next_id(),
                number: index as u64 + 1,
                title: title.to_owned(),
                description: Some(format!("Everything planned for {title}")),
                open: true,
                due_on,
                created_at: EPOCH,
                creator: TOKEN_OWNER.to_owned(),
            };
            world.repos[at].milestones.push(milestone);
        }
    }
    for _ in 0..count {
        let id = world.next_id();
        let repo = &mut world.repos[at];
        let n = repo.next_number;
        let i = n as usize;
        let created_at = EPOCH + Duration::hours(n as i64 * 7);
        let label_ids: Vec<u64> = repo.labels.iter().map(|l| l.id).collect();
        let mut labels = vec![label_ids[i % label_ids.len()]];
        if i.is_multiple_of(4) {
            labels.push(label_ids[(i / 4) % label_ids.len()]);
        }
        labels.dedup();
        // Every fifth issue is closed, alternately done and not planned.
        let closed = i.is_multiple_of(5);
        let issue = Issue {
            id,
            number: n,
            title: format!("{} {}", VERBS[i % VERBS.len()], THINGS[i % THINGS.len()]),
            body: (!i.is_multiple_of(6)).then(|| {
                format!("Seen in build {i}.\n\n- [ ] reproduce it\n- [ ] fix it\n\n**Expected:** it works.")
            }),
            author: COLLABORATORS[i % COLLABORATORS.len()].to_owned(),
            labels,
            assignees: match i % 3 {
                0 => vec![],
                1 => vec![COLLABORATORS[i % COLLABORATORS.len()].to_owned()],
                _ => vec![COLLABORATORS[1].to_owned(), COLLABORATORS[2].to_owned()],
            },
            milestone: match i % 4 {
                1 => Some(1),
                2 => Some(2),
                3 if i % 8 == 3 => Some(3),
                _ => None,
            },
            state: if closed { State::Closed } else { State::Open },
            state_reason: closed.then(|| {
                let reason = if i.is_multiple_of(10) { "completed" } else { "not_planned" };
                reason.to_owned()
            }),
            created_at,
            updated_at: created_at + Duration::minutes(30),
            closed_at: closed.then(|| created_at + Duration::minutes(30)),
            comments: (i % 7) as u32,
        };
        repo.issues.insert(n, issue);
        repo.next_number += 1;
    }
}
