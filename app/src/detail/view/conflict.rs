//! The conflict view: someone saved first. Every part that differs is
//! shown twice, theirs and ours, and the user keeps either per part; the
//! merged fields are then saved against their version.

use leptos::prelude::*;

use crate::{
    cards::{CardTemplate, RecordFields, RecordSnapshot},
    detail::merge::{default_keeps_ours, differing, merge, Part},
};

// Leptos components own their props.
#[allow(clippy::needless_pass_by_value)]
#[component]
pub fn ConflictPanel(
    theirs: RecordSnapshot,
    base: Option<RecordFields>,
    ours: RecordFields,
    /// The other side is the record's tool (its name), not another save.
    tool: Option<String>,
    template: StoredValue<CardTemplate>,
    on_resolve: impl Fn(RecordFields, i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let parts = differing(&theirs.fields, &ours);
    let keep_ours = RwSignal::new(
        parts
            .iter()
            .copied()
            .filter(|part| default_keeps_ours(*part, base.as_ref(), &theirs.fields))
            .collect::<Vec<Part>>(),
    );
    let rows = parts
        .iter()
        .map(|&part| {
            let (their_text, our_text) =
                template.with_value(|t| (part.summary(&theirs.fields, t), part.summary(&ours, t)));
            let name = format!("keep-{}", part.key());
            let is_ours = move || keep_ours.with(|k| k.contains(&part));
            let choose = move |mine: bool| {
                keep_ours.update(|k| {
                    k.retain(|p| *p != part);
                    if mine {
                        k.push(part);
                    }
                });
            };
            view! {
                <fieldset class="conflict__part" data-testid=format!("conflict-{}", part.key())>
                    <legend>{part.label()}</legend>
                    <label class="conflict__choice">
                        <input type="radio" name=name.clone() value="theirs"
                            prop:checked=move || !is_ours() on:change=move |_| choose(false) />
                        <span class="conflict__side">"Theirs"</span>
                        <span class="conflict__value">{their_text}</span>
                    </label>
                    <label class="conflict__choice">
                        <input type="radio" name=name value="ours"
                            prop:checked=is_ours on:change=move |_| choose(true) />
                        <span class="conflict__side">"Mine"</span>
                        <span class="conflict__value">{our_text}</span>
                    </label>
                </fieldset>
            }
        })
        .collect_view();
    let theirs_fields = StoredValue::new(theirs.fields.clone());
    let ours = StoredValue::new(ours);
    let version = theirs.version;
    let apply = move |_| {
        let merged = theirs_fields
            .with_value(|t| ours.with_value(|o| merge(t, o, &keep_ours.get_untracked())));
        on_resolve(merged, version);
    };
    // "Theirs" is the tool's item when the other side is a tool.
    let (heading_text, explained) = match &tool {
        Some(tool) => (
            format!("Changed in {tool} too"),
            format!(
                "The other side is {tool}: its item was changed while your edit was waiting to be sent there, so neither was overwritten. \
                 \"Theirs\" is what {tool} holds now. For each difference, keep {tool}'s value or yours; saving sends the result to both.",
            ),
        ),
        None => (
            "Someone else saved first".to_owned(),
            format!(
                "The card is at version {version} now. For each difference, keep their value or yours, then save again.",
            ),
        ),
    };
    // Bring the choice into view and give it focus, for keyboard and
    // screen-reader users alike.
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
            heading.scroll_into_view();
        }
    });
    view! {
        <section class="conflict" data-testid="conflict" aria-labelledby="conflict-title">
            <h2 id="conflict-title" tabindex="-1" node_ref=heading>{heading_text}</h2>
            <p data-testid="conflict-explained">{explained}</p>
            {rows}
            <button type="button" class="button button--primary" data-testid="resolve" on:click=apply>
                "Save with these choices"
            </button>
        </section>
    }
}
