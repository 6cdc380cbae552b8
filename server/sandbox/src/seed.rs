//! What the sandbox holds on first start: one organization with two teams
//! (so the walls between teams can be tried), a user in each, the app
//! itself and a second app (so ownership can be seen), two boards of the
//! first team with app cards in every status and a few plain cards, and a
//! board of the second team with a card of its own.

use rand::RngCore;
use time::{Duration, OffsetDateTime};

use super::{
    input::{new_item, Author},
    world::{
        AppCard, Card, Content, Field, Item, Named, RegisteredApp, User, World, DEFAULT_CARD_COLOR,
    },
    SandboxSettings,
};

/// Ids are fixed so that board URLs stay the same across restarts.
pub const TEAM_ID: &str = "3458764500000000001";
pub const USER_ID: &str = "3458764500000000002";
pub const APP_CLIENT_ID: &str = "3458764600000000001";
pub const OTHER_CLIENT_ID: &str = "3458764600000000002";
pub const ROADMAP_BOARD: &str = "uXjVSandbox1=";
pub const SPRINT_BOARD: &str = "uXjVSandbox2=";
/// The second team, its user and its board.
pub const OTHER_TEAM_ID: &str = "3458764500000000003";
pub const OTHER_USER_ID: &str = "3458764500000000004";
pub const OTHER_TEAM_BOARD: &str = "uXjVSandbox3=";

fn random_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn field(value: &str, tooltip: &str, fill: &str, text: &str) -> Field {
    Field {
        value: Some(value.to_owned()),
        tooltip: Some(tooltip.to_owned()),
        fill_color: Some(fill.to_owned()),
        text_color: Some(text.to_owned()),
        icon_url: None,
        icon_shape: None,
    }
}

fn app_card(
    id: String,
    author: &Author<'_>,
    at: (f64, f64),
    title: &str,
    description: &str,
    status: &str,
    fields: Vec<Field>,
) -> Item {
    item(
        id,
        author,
        at,
        Content::AppCard(AppCard {
            title: title.to_owned(),
            description: description.to_owned(),
            status: status.to_owned(),
            fields,
            fill_color: DEFAULT_CARD_COLOR.to_owned(),
        }),
    )
}

fn card(
    id: String,
    author: &Author<'_>,
    at: (f64, f64),
    title: &str,
    description: &str,
    theme: &str,
) -> Item {
    item(
        id,
        author,
        at,
        Content::Card(Card {
            title: title.to_owned(),
            description: description.to_owned(),
            assignee_id: Some(USER_ID.to_owned()),
            due_date: None,
            card_theme: theme.to_owned(),
        }),
    )
}

fn item(id: String, author: &Author<'_>, (x, y): (f64, f64), content: Content) -> Item {
    Item {
        x,
        y,
        ..new_item(id, author, content)
    }
}

/// The seeded world and the registered apps (ours first).
pub fn seed(settings: &SandboxSettings) -> (World, Vec<RegisteredApp>) {
    let apps = vec![
        RegisteredApp {
            name: "Miro Cards".to_owned(),
            client_id: APP_CLIENT_ID.to_owned(),
            client_secret: settings
                .app_client_secret
                .clone()
                .unwrap_or_else(random_secret),
            redirect_uri: settings.app_redirect_uri.clone(),
        },
        RegisteredApp {
            name: "Another app".to_owned(),
            client_id: OTHER_CLIENT_ID.to_owned(),
            client_secret: random_secret(),
            redirect_uri: format!("{}/sandbox/other-app/callback", settings.public_url),
        },
    ];
    let mut world = World::new(
        Named {
            id: "3458764400000000001".to_owned(),
            name: "Sandbox organization".to_owned(),
        },
        vec![
            Named {
                id: TEAM_ID.to_owned(),
                name: "Sandbox team".to_owned(),
            },
            Named {
                id: OTHER_TEAM_ID.to_owned(),
                name: "Other team".to_owned(),
            },
        ],
        vec![
            User {
                id: USER_ID.to_owned(),
                name: "Sam Sandbox".to_owned(),
                team_id: TEAM_ID.to_owned(),
            },
            User {
                id: OTHER_USER_ID.to_owned(),
                name: "Olive Other".to_owned(),
                team_id: OTHER_TEAM_ID.to_owned(),
            },
        ],
        3_458_764_517_517_852_416,
    );
    let now = OffsetDateTime::now_utc() - Duration::days(1);
    let ours = Author {
        user_id: USER_ID,
        client_id: APP_CLIENT_ID,
        now,
    };
    let theirs = Author {
        user_id: USER_ID,
        client_id: OTHER_CLIENT_ID,
        now,
    };
    let other = Author {
        user_id: OTHER_USER_ID,
        client_id: APP_CLIENT_ID,
        now,
    };
    let priority = |value: &str, fill: &str| field(value, "Priority", fill, "#1a1a1a");

    let roadmap = vec![
        app_card(
            world.next_id(),
            &ours,
            (-360.0, -140.0),
            "Checkout redesign",
            "<p>Rework the <strong>checkout</strong> flow for mobile.</p>",
            "connected",
            vec![
                priority("High", "#ffd02f"),
                field("Sprint 42", "Iteration", "#e6f4ff", "#1a1a1a"),
            ],
        ),
        app_card(
            world.next_id(),
            &ours,
            (0.0, -140.0),
            "Payment provider migration",
            "Move card payments to the new provider.",
            "connected",
            vec![
                priority("Medium", "#c6f1c3"),
                field("Alex", "Assignee", "#f1ecff", "#4b2bb8"),
            ],
        ),
        app_card(
            world.next_id(),
            &ours,
            (360.0, -140.0),
            "Draft: referral programme",
            "Not linked to a record yet.",
            "disconnected",
            Vec::new(),
        ),
        app_card(
            world.next_id(),
            &ours,
            (-360.0, 60.0),
            "Legacy invoice export",
            "The source item was deleted.",
            "disabled",
            vec![priority("Low", "#e6e6eb")],
        ),
        app_card(
            world.next_id(),
            &theirs,
            (0.0, 60.0),
            "Card from another app",
            "Created by another app: ours may read and move it, not change it.",
            "connected",
            Vec::new(),
        ),
        card(
            world.next_id(),
            &ours,
            (360.0, 60.0),
            "Plan Q1 offsite",
            "Venue, agenda, budget.",
            "#f24726",
        ),
    ];
    let sprint = vec![
        app_card(
            world.next_id(),
            &ours,
            (-180.0, 0.0),
            "Fix login timeout",
            "<p>Sessions expire after 5 minutes on Safari.</p>",
            "connected",
            vec![
                priority("Urgent", "#f24726"),
                field("Bug", "Type", "#fde0dc", "#8c1c13"),
            ],
        ),
        app_card(
            world.next_id(),
            &ours,
            (180.0, 0.0),
            "Add CSV import",
            "Import records from a spreadsheet.",
            "connected",
            vec![priority("Medium", "#c6f1c3")],
        ),
        app_card(
            world.next_id(),
            &ours,
            (0.0, -200.0),
            "Write release notes",
            "What changed in this sprint, for customers.",
            "connected",
            vec![priority("Low", "#e6e6eb")],
        ),
        card(
            world.next_id(),
            &ours,
            (0.0, 180.0),
            "Retro notes",
            "What went well, what did not.",
            "#8fd14f",
        ),
    ];
    let other_team = vec![app_card(
        world.next_id(),
        &other,
        (0.0, 0.0),
        "Other team's launch plan",
        "<p>Only the other team sees this card's record.</p>",
        "connected",
        vec![priority("High", "#ffd02f")],
    )];
    for (id, name, description, (team, owner), items) in [
        (
            ROADMAP_BOARD,
            "Product roadmap",
            "Where the product is going this quarter.",
            (TEAM_ID, USER_ID),
            roadmap,
        ),
        (
            SPRINT_BOARD,
            "Sprint board",
            "The current sprint's work.",
            (TEAM_ID, USER_ID),
            sprint,
        ),
        (
            OTHER_TEAM_BOARD,
            "Other team's board",
            "A board of the sandbox's second team.",
            (OTHER_TEAM_ID, OTHER_USER_ID),
            other_team,
        ),
    ] {
        world.boards.push(super::world::Board {
            id: id.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            owner_id: owner.to_owned(),
            team_id: team.to_owned(),
            created_at: now,
            modified_at: now,
            items,
            tags: Vec::new(),
        });
    }
    (world, apps)
}
