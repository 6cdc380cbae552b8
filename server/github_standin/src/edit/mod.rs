//! Changes to the world, each with the webhook events GitHub sends for it:
//! creating and editing issues (`issue`) and labels (`label`), and, for
//! the admin routes only, deleting and transferring issues (`gone`).
//! Every change checks everything before it changes anything, so a
//! refused request leaves no trace.

mod gone;
mod issue;
mod label;
mod resolve;

use serde_json::{json, Value};

pub use self::{
    gone::{delete_issue, transfer_issue},
    issue::{create_issue, update_issue},
    label::{create_label, update_label},
};
use super::{
    errors::ApiError,
    render,
    world::{Gone, Issue, Repo},
};

/// One webhook event: `issues` or `label`, and its payload.
#[derive(Debug)]
pub struct Event {
    pub name: &'static str,
    pub payload: Value,
}

/// What a change answers, and the events it sends.
#[derive(Debug)]
pub struct Outcome {
    pub body: Value,
    pub events: Vec<Event>,
}

fn payload(repo: &Repo, action: &str, sender: &str, members: Value) -> Value {
    let mut payload = json!({
        "action": action,
        "repository": render::repository(repo),
        "sender": render::user(sender),
    });
    if let (Some(target), Value::Object(extra)) = (payload.as_object_mut(), members) {
        target.extend(extra);
    }
    payload
}

/// The issue, or the answer GitHub gives for one that is not there: 404,
/// or 301 to where it was transferred (a path; the gate adds the origin).
pub fn find_issue(repo: &Repo, number: u64) -> Result<&Issue, ApiError> {
    if let Some(issue) = repo.issues.get(&number) {
        return Ok(issue);
    }
    match repo.gone.get(&number) {
        Some(Gone::Transferred {
            repository_id,
            number,
        }) => Err(ApiError::moved(format!(
            "/repositories/{repository_id}/issues/{number}"
        ))),
        _ => Err(ApiError::not_found()),
    }
}
