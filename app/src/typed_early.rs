//! What a user types before the WASM is live. The server's HTML is a real
//! form, so on a slow network people start typing before hydration; Leptos
//! then sets every bound input back to the value it rendered. So the
//! browser entry point notes, just before hydrating, every form control
//! whose value differs from the one the server sent ([`capture`]), and the
//! editor, once live, puts those values back and replays them as the
//! user's own `input` and `change` events ([`restore`]), so its state,
//! validation and preview follow exactly as if they had been typed then.

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;

    use wasm_bindgen::JsCast;
    use web_sys::{Event, EventInit, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};

    /// One control the user changed, with the value they left in it.
    enum Typed {
        Text(HtmlInputElement, String),
        Checked(HtmlInputElement, bool),
        Area(HtmlTextAreaElement, String),
        Choice(HtmlSelectElement, String),
    }

    thread_local! {
        static TYPED: RefCell<Vec<Typed>> = const { RefCell::new(Vec::new()) };
    }

    pub fn capture() {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Ok(controls) = document.query_selector_all("input, textarea, select") else {
            return;
        };
        let typed: Vec<Typed> = (0..controls.length())
            .filter_map(|index| controls.item(index))
            .filter_map(|node| changed(node.unchecked_ref()))
            .collect();
        TYPED.with(|t| *t.borrow_mut() = typed);
    }

    /// The control's value if the user changed it from the server's.
    fn changed(element: &web_sys::Element) -> Option<Typed> {
        if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
            let kind = input.type_();
            if kind == "checkbox" || kind == "radio" {
                return (input.checked() != input.default_checked())
                    .then(|| Typed::Checked(input.clone(), input.checked()));
            }
            return (input.value() != input.default_value())
                .then(|| Typed::Text(input.clone(), input.value()));
        }
        if let Some(area) = element.dyn_ref::<HtmlTextAreaElement>() {
            let rendered = area.default_value().unwrap_or_default();
            return (area.value() != rendered).then(|| Typed::Area(area.clone(), area.value()));
        }
        let select = element.dyn_ref::<HtmlSelectElement>()?;
        let options = select.options();
        let rendered = (0..options.length())
            .filter_map(|i| options.item(i))
            .filter_map(|o| o.dyn_into::<web_sys::HtmlOptionElement>().ok())
            .find(|o| o.default_selected())
            .map(|o| o.value());
        let current = select.value();
        (rendered.as_deref() != Some(current.as_str()))
            .then(|| Typed::Choice(select.clone(), current))
    }

    pub fn restore() {
        let typed = TYPED.with(|t| std::mem::take(&mut *t.borrow_mut()));
        for control in typed {
            let target: web_sys::EventTarget = match control {
                Typed::Text(input, value) => {
                    input.set_value(&value);
                    input.into()
                }
                Typed::Checked(input, checked) => {
                    input.set_checked(checked);
                    input.into()
                }
                Typed::Area(area, value) => {
                    area.set_value(&value);
                    area.into()
                }
                Typed::Choice(select, value) => {
                    select.set_value(&value);
                    select.into()
                }
            };
            // Leptos listens at the document: the events must bubble.
            let init = EventInit::new();
            init.set_bubbles(true);
            for name in ["input", "change"] {
                if let Ok(event) = Event::new_with_event_init_dict(name, &init) {
                    let _ = target.dispatch_event(&event);
                }
            }
        }
    }
}

/// Notes the form controls the user has changed. Call it just before
/// hydrating.
pub fn capture() {
    #[cfg(feature = "hydrate")]
    browser::capture();
}

/// Puts back what [`capture`] noted, as input events. Call it once the
/// components that own those controls are live (from an effect).
pub fn restore() {
    #[cfg(feature = "hydrate")]
    browser::restore();
}
