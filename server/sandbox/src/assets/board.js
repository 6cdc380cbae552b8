// The Miro sandbox's board page (/sandbox/boards/{id}): draws the board's
// items the way Miro does, keeps them live, and hosts the app's iframes.
//
// This file owns, in the browser:
// - drawing: a header (board, user), a toolbar with the app's icon, zoom
//   controls, and a canvas where each item (app card, card, sticky note)
//   sits at its REST `position` around the centre;
// - selection (click; Shift, Ctrl or Cmd-click for several) and the zoom
//   (a CSS scale of the canvas, 10 % to 400 %), which the SDK's
//   `getSelection`, `viewport.get`, `getZoom` and `setZoom` read and set;
// - the app's iframes: the hidden headless page (`app.sdkUri`), and the
//   modal and side panel the app opens;
// - the relay for the Web SDK stand-in (miro-sdk.js) in those iframes: UI
//   and viewport calls are done here, board calls go to
//   `POST {hostBase}/sdk`; UI events (`app_card:open`, `app_card:connect`,
//   `icon:click`) go to the headless page, `selection:update` to every app
//   frame;
// - live updates from `{hostBase}/events` (server-sent `upsert`/`delete`).
//
// Messages, all checked against the frame that sent them and `app.origin`:
//   frame -> board  {type: "miro-sandbox:call", id, method, args}
//                   {type: "miro-sandbox:key", key: "Escape"}
//   board -> frame  {type: "miro-sandbox:reply", id, result | error: {message}}
//                   {type: "miro-sandbox:event", event, payload}
//
// Board coordinates are Miro's: (0, 0) is the board's centre, x grows to
// the right and y downwards, in board units. The canvas is 2 × canvasHalf
// board units wide and high with the board's centre in its middle, drawn
// scaled by `zoom` inside a sizer of the scaled size that the viewport
// scrolls; so a board point (x, y) is at scroll position
// ((canvasHalf.width + x) × zoom, (canvasHalf.height + y) × zoom).
//
// Text from items may hold HTML: it goes through `richText` (DOMParser and
// an allow-list walk) and is never given to innerHTML.
(function () {
  "use strict";

  const bootstrap = JSON.parse(document.getElementById("sandbox-bootstrap").textContent);
  const { board, user, app, hostBase } = bootstrap;

  const DEFAULT_CARD_COLOR = "#2d9bf0";
  const DEFAULT_CARD_WIDTH = 320;
  const DEFAULT_CARD_HEIGHT = 94;
  const DEFAULT_MODAL = { width: 520, height: 600 };
  const PANEL_WIDTH = 368;
  const TOAST_MS = { info: 4000, error: 6000 };
  const HIGHLIGHT_MS = 1600;
  // The canvas reaches at least this far from the centre, and always this
  // far past the outermost item.
  const CANVAS_MIN_HALF = { width: 1600, height: 1200 };
  const CANVAS_MARGIN = 600;
  // The zoom steps of the zoom buttons; `setZoom` takes any level between
  // the first and the last.
  const ZOOM_LEVELS = [0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4];
  const MIN_ZOOM = ZOOM_LEVELS[0];
  const MAX_ZOOM = ZOOM_LEVELS[ZOOM_LEVELS.length - 1];
  // Sticky note colours: the REST/SDK names and the colours drawn for them.
  const STICKY_COLORS = {
    gray: "#e6e6e6",
    light_yellow: "#fff9b1",
    yellow: "#f5d128",
    orange: "#ff9d48",
    light_green: "#d5f692",
    green: "#c9df56",
    dark_green: "#93d275",
    cyan: "#67c6c0",
    light_pink: "#ffcee0",
    pink: "#ea94bb",
    violet: "#c6a2d2",
    red: "#f0939d",
    light_blue: "#a6ccf5",
    blue: "#6cd8fa",
    dark_blue: "#9ea9ff",
    black: "#1a1a1a",
  };
  // Fills dark enough to need light text.
  const DARK_STICKY_COLORS = new Set(["black"]);
  const DEFAULT_STICKY_COLOR = "light_yellow";
  const TEXT_ALIGNS = new Set(["left", "center", "right"]);
  const TEXT_ALIGNS_VERTICAL = new Set(["top", "middle", "bottom"]);

  // ---- Small DOM helpers ----------------------------------------------------

  const SVG_NS = "http://www.w3.org/2000/svg";
  const HTML_NS = "http://www.w3.org/1999/xhtml";

  /**
   * Creates an element. `props`: `class`, `text`, `style` (object), `dataset`
   * (object), `on` (event -> handler); anything else becomes an attribute.
   */
  function h(tag, props = {}, children = []) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "class") element.className = value;
      else if (name === "text") element.textContent = value;
      else if (name === "style") Object.assign(element.style, value);
      else if (name === "dataset") Object.assign(element.dataset, value);
      else if (name === "on") for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    element.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
    return element;
  }

  /** A small 24×24 line icon from SVG path data (decorative: aria-hidden). */
  function icon(paths, className = "icon") {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", className);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    for (const d of paths) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.append(path);
    }
    return svg;
  }

  const ICONS = {
    open: ["M14 4h6v6", "M20 4l-8 8", "M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"],
    close: ["M6 6l12 12", "M18 6L6 18"],
    connected: ["M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1", "M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"],
    disconnected: ["M15 5.5l.3-.3a4 4 0 0 1 5.6 5.6l-2.6 2.6", "M9 18.5l-.3.3a4 4 0 0 1-5.6-5.6l2.6-2.6", "M8 3v3", "M3 8h3", "M16 21v-3", "M21 16h-3"],
    disabled: ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18", "M5.6 5.6l12.8 12.8"],
    app: ["M4 4h7v7H4z", "M13 4h7v7h-7z", "M4 13h7v7H4z", "M13 13h7v7h-7z"],
    zoomIn: ["M12 5v14", "M5 12h14"],
    zoomOut: ["M5 12h14"],
  };

  // ---- Rich text: Miro's allowed tags, nothing else -------------------------

  const TITLE_TAGS = new Set(["p", "a", "br"]);
  const DESCRIPTION_TAGS = new Set(["p", "a", "strong", "b", "em", "i", "u", "ol", "ul", "li", "br"]);
  // What the sandbox keeps in a sticky note's content (CONTENT_TAGS in world.rs).
  const CONTENT_TAGS = new Set(["p", "a", "strong", "b", "em", "i", "u", "s", "ol", "ul", "li", "br"]);
  const BLOCK_TAGS = new Set(["p", "br", "li", "ol", "ul", "div"]);
  // Elements whose content is not text a reader would see: dropped whole.
  const HIDDEN_TAGS = new Set(["script", "style", "template"]);
  const parser = new DOMParser();

  /** An absolute http(s) URL, or null. */
  function safeHref(raw) {
    if (!raw) return null;
    try {
      const url = new URL(raw);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /**
   * `html` as a fragment holding only elements in `allowed`, built anew
   * (no attribute is copied; links get a checked href). Other elements are
   * unwrapped: their text stays, their tags go, as Miro strips them
   * (script, style and template, whose content is not text, go whole).
   * DOMParser's document is inert: nothing in it runs or loads.
   */
  function richText(html, allowed) {
    const fragment = document.createDocumentFragment();
    if (typeof html !== "string" || html === "") return fragment;
    copyAllowed(parser.parseFromString(html, "text/html").body, fragment, allowed);
    return fragment;
  }

  function copyAllowed(source, target, allowed) {
    for (const node of source.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        target.append(document.createTextNode(node.data));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        const tag = node.namespaceURI === HTML_NS ? node.localName : "";
        if (HIDDEN_TAGS.has(tag)) {
          continue;
        } else if (!allowed.has(tag)) {
          copyAllowed(node, target, allowed);
        } else if (tag === "a") {
          const href = safeHref(node.getAttribute("href"));
          if (!href) {
            copyAllowed(node, target, allowed);
            continue;
          }
          const link = h("a", { href, target: "_blank", rel: "noopener" });
          copyAllowed(node, link, allowed);
          target.append(link);
        } else {
          const copy = document.createElement(tag);
          copyAllowed(node, copy, allowed);
          target.append(copy);
        }
      }
      // Comments and anything else: dropped.
    }
  }

  /** The text a reader sees in `html`, on one line (for labels). */
  function plainText(html) {
    if (typeof html !== "string" || html === "") return "";
    const parts = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) parts.push(child.data);
        else if (child.nodeType === Node.ELEMENT_NODE && !HIDDEN_TAGS.has(child.localName)) {
          const block = BLOCK_TAGS.has(child.localName);
          if (block) parts.push(" ");
          walk(child);
          if (block) parts.push(" ");
        }
      }
    };
    walk(parser.parseFromString(html, "text/html").body);
    return parts.join("").replace(/\s+/g, " ").trim();
  }

  // ---- The page's frame -------------------------------------------------------

  const root = document.getElementById("sandbox-root");

  const liveStatus = h("span", { class: "live-status", "data-role": "live-status", text: "Connecting…" });
  const header = h("header", { class: "board-header" }, [
    h("div", { class: "board-title" }, [
      h("span", { class: "sandbox-badge", text: "Miro sandbox" }),
      h("h1", { class: "board-name", text: board.name }),
      liveStatus,
    ]),
    h("div", { class: "board-user", "data-role": "user", title: `Signed in as ${user.name}` }, [
      h("span", { class: "avatar", "aria-hidden": "true", text: initials(user.name) }),
      h("span", { class: "user-name", text: user.name }),
    ]),
  ]);

  const appButton = h(
    "button",
    { type: "button", class: "tool-button app-icon", "data-action": "app-icon", "aria-label": app.name, title: app.name },
    [icon(ICONS.app)],
  );
  const toolbar = h("nav", { class: "board-toolbar", "aria-label": "Apps" }, [appButton]);

  // The canvas is a grid of rows so that items can carry `aria-selected`;
  // each item's content (title, buttons) sits in its one cell.
  const canvas = h("div", {
    class: "board-canvas",
    role: "grid",
    "aria-label": `Items on ${board.name}`,
    "aria-multiselectable": "true",
  });
  // The canvas is scaled with a CSS transform, which does not change its
  // layout size: the sizer has the scaled size, so the viewport scrolls
  // over exactly what is drawn.
  const sizer = h("div", { class: "canvas-sizer" }, [canvas]);
  const viewport = h("div", { class: "board-viewport", "data-role": "viewport" }, [sizer]);

  const zoomOutButton = h(
    "button",
    { type: "button", class: "zoom-button", "data-action": "zoom-out", "aria-label": "Zoom out", title: "Zoom out" },
    [icon(ICONS.zoomOut)],
  );
  const zoomInButton = h(
    "button",
    { type: "button", class: "zoom-button", "data-action": "zoom-in", "aria-label": "Zoom in", title: "Zoom in" },
    [icon(ICONS.zoomIn)],
  );
  const zoomReadout = h("button", {
    type: "button",
    class: "zoom-level",
    "data-action": "zoom-reset",
    "data-role": "zoom-level",
    title: "Zoom to 100%",
    text: "100%",
  });
  const zoomControls = h("div", { class: "zoom-controls", role: "group", "aria-label": "Zoom", "data-role": "zoom" }, [
    zoomOutButton,
    zoomReadout,
    zoomInButton,
  ]);
  const stage = h("div", { class: "board-stage" }, [viewport, zoomControls]);
  const panelSlot = h("div", { class: "panel-slot" });
  const main = h("main", { class: "board-main" }, [toolbar, stage, panelSlot]);
  const shell = h("div", { class: "board-shell" }, [header, main]);
  const toasts = h("div", { class: "toasts", "data-role": "toasts" });
  const overlays = h("div", { class: "overlays" });
  root.append(shell, overlays, toasts);

  function initials(name) {
    const letters = String(name ?? "")
      .split(/\s+/)
      .filter(Boolean)
      .map((word) => word[0].toUpperCase());
    return (letters[0] ?? "?") + (letters.length > 1 ? letters[letters.length - 1] : "");
  }

  // ---- Items --------------------------------------------------------------------

  /** REST items by id, and their drawn elements. */
  const items = new Map();
  const drawn = new Map();
  const selected = new Set();

  const positionOf = (item) => ({ x: Number(item.position?.x) || 0, y: Number(item.position?.y) || 0 });
  const widthOf = (item) => Number(item.geometry?.width) || DEFAULT_CARD_WIDTH;
  const heightOf = (item) => Number(item.geometry?.height) || DEFAULT_CARD_HEIGHT;

  /** The element for one REST item, placed and ready to insert. */
  function renderItem(item) {
    let element;
    if (item.type === "app_card") element = renderAppCard(item);
    else if (item.type === "card") element = renderCard(item);
    else if (item.type === "sticky_note") element = renderStickyNote(item);
    else element = renderOther(item);

    const { x, y } = positionOf(item);
    const rotation = Number(item.geometry?.rotation) || 0;
    element.dataset.itemId = item.id;
    element.dataset.itemType = item.type;
    element.setAttribute("role", "row");
    element.setAttribute("tabindex", "0");
    element.setAttribute("aria-selected", String(selected.has(item.id)));
    element.classList.add("item");
    element.classList.toggle("is-selected", selected.has(item.id));
    // Miro's position is the item's centre (`origin: center`) relative to
    // the canvas centre.
    element.style.left = `calc(50% + ${x}px)`;
    element.style.top = `calc(50% + ${y}px)`;
    element.style.width = `${widthOf(item)}px`;
    // A sticky note has a fixed size (its text is clipped, not grown
    // into); cards grow with their content.
    if (item.type === "sticky_note") element.style.height = `${heightOf(item)}px`;
    else element.style.minHeight = `${heightOf(item)}px`;
    element.style.transform = `translate(-50%, -50%)${rotation ? ` rotate(${rotation}deg)` : ""}`;
    return element;
  }

  const STATUS_TEXT = { connected: "Connected", disconnected: "Disconnected", disabled: "Disabled" };

  function renderAppCard(item) {
    const data = item.data ?? {};
    const status = STATUS_TEXT[data.status] ? data.status : "disconnected";
    const title = plainText(data.title) || "Untitled app card";
    const color = item.style?.fillColor || DEFAULT_CARD_COLOR;

    const openButton =
      status === "connected"
        ? h("button", { type: "button", class: "card-button open-button", "data-action": "open", "aria-label": `Open ${title}`, title: "Open" }, [
            icon(ICONS.open),
          ])
        : null;
    const connectButton =
      status === "disconnected"
        ? h("button", { type: "button", class: "connect-button", "data-action": "connect", "aria-label": `Connect ${title}`, text: "Connect" })
        : null;

    const fields = Array.isArray(data.fields) ? data.fields : [];
    const fieldList = fields.length
      ? h("ul", { class: "card-fields", "aria-label": "Fields" }, fields.map(renderField))
      : null;

    const cell = h("div", { class: "item-cell", role: "gridcell" }, [
      h("div", { class: "card-head" }, [
        h("div", { class: "item-title", role: "heading", "aria-level": "2" }, [richText(data.title, TITLE_TAGS)]),
        openButton,
      ]),
      data.description ? h("div", { class: "item-description" }, [richText(data.description, DESCRIPTION_TAGS)]) : null,
      fieldList,
      h("div", { class: "card-foot" }, [
        h("span", { class: `status-icon status-${status}`, role: "img", "aria-label": `Status: ${STATUS_TEXT[status]}`, title: STATUS_TEXT[status] }, [
          icon(ICONS[status]),
        ]),
        h("span", { class: "card-app", text: app.name }),
        connectButton,
      ]),
    ]);
    return h("div", { class: `app-card status-${status}`, "aria-label": `App card: ${title}`, style: { borderTopColor: safeColor(color, DEFAULT_CARD_COLOR) } }, [cell]);
  }

  /** One preview field as a chip: its colours, icon and tooltip. */
  function renderField(field) {
    const value = String(field?.value ?? "");
    const tooltip = field?.tooltip ? String(field.tooltip) : "";
    const iconUrl = safeHref(field?.iconUrl);
    const chip = h(
      "li",
      {
        class: "field-chip",
        title: tooltip || null,
        "aria-label": tooltip ? `${tooltip}: ${value}` : null,
        style: {
          backgroundColor: safeColor(field?.fillColor, ""),
          color: safeColor(field?.textColor, ""),
        },
      },
      [
        iconUrl
          ? h("img", {
              class: `field-icon ${field.iconShape === "square" ? "square" : "round"}`,
              src: iconUrl,
              alt: "",
              referrerpolicy: "no-referrer",
              loading: "lazy",
              on: { error: (event) => event.target.remove() },
            })
          : null,
        h("span", { class: "field-value", text: value }),
      ],
    );
    return chip;
  }

  const dateFormat = new Intl.DateTimeFormat("en", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

  function renderCard(item) {
    const data = item.data ?? {};
    const title = plainText(data.title) || "Untitled card";
    const due = data.dueDate ? new Date(data.dueDate) : null;
    const cell = h("div", { class: "item-cell", role: "gridcell" }, [
      h("div", { class: "card-head" }, [h("div", { class: "item-title", role: "heading", "aria-level": "2" }, [richText(data.title, TITLE_TAGS)])]),
      data.description ? h("div", { class: "item-description" }, [richText(data.description, DESCRIPTION_TAGS)]) : null,
      due
        ? h("div", { class: "card-foot" }, [
            h("time", {
              class: "due-date",
              datetime: data.dueDate,
              text: `Due ${Number.isNaN(due.getTime()) ? data.dueDate : dateFormat.format(due)}`,
            }),
          ])
        : null,
    ]);
    return h("div", { class: "card", "aria-label": `Card: ${title}`, style: { borderTopColor: safeColor(item.style?.cardTheme, DEFAULT_CARD_COLOR) } }, [cell]);
  }

  /**
   * A sticky note: a square (or rectangle) in its fill colour, its content
   * as limited rich text, aligned as its style says. The fill colour is
   * one of the spec's names, so only the known palette is ever drawn.
   */
  function renderStickyNote(item) {
    const data = item.data ?? {};
    const style = item.style ?? {};
    const color = Object.hasOwn(STICKY_COLORS, style.fillColor) ? style.fillColor : DEFAULT_STICKY_COLOR;
    const align = TEXT_ALIGNS.has(style.textAlign) ? style.textAlign : "center";
    const vertical = TEXT_ALIGNS_VERTICAL.has(style.textAlignVertical) ? style.textAlignVertical : "top";
    const shape = data.shape === "rectangle" ? "rectangle" : "square";
    const text = plainText(data.content);
    const cell = h("div", { class: "item-cell sticky-content", role: "gridcell" }, [richText(data.content, CONTENT_TAGS)]);
    return h(
      "div",
      {
        class: `sticky-note shape-${shape} align-${align} valign-${vertical}${DARK_STICKY_COLORS.has(color) ? " is-dark" : ""}`,
        "aria-label": text ? `Sticky note: ${text}` : "Sticky note",
        dataset: { fillColor: color },
        style: { backgroundColor: STICKY_COLORS[color] },
      },
      [cell],
    );
  }

  function renderOther(item) {
    return h("div", { class: "other-item", "aria-label": `${item.type} item` }, [
      h("div", { class: "item-cell", role: "gridcell", text: `${item.type} ${item.id}` }),
    ]);
  }

  /** `value` if the browser takes it as a CSS colour, else `fallback`. */
  function safeColor(value, fallback) {
    if (typeof value !== "string" || value === "") return fallback;
    return CSS.supports("color", value) ? value : fallback;
  }

  /** Adds the item, or redraws it in place, keeping selection and focus. */
  function upsertItem(item) {
    if (!item || typeof item.id !== "string") return;
    // A reload of the board sends every item again: leave unchanged ones be.
    if (drawn.has(item.id) && JSON.stringify(items.get(item.id)) === JSON.stringify(item)) return;
    items.set(item.id, item);
    const element = renderItem(item);
    const old = drawn.get(item.id);
    if (old) {
      const focused = old.contains(document.activeElement) ? document.activeElement : null;
      old.replaceWith(element);
      if (focused) {
        const action = focused.dataset?.action;
        const again = action ? element.querySelector(`[data-action="${action}"]`) : null;
        (again ?? element).focus({ preventScroll: true });
      }
    } else {
      canvas.append(element);
    }
    drawn.set(item.id, element);
    sizeCanvas();
  }

  function removeItem(id) {
    const element = drawn.get(id);
    if (element?.contains(document.activeElement)) viewport.focus({ preventScroll: true });
    element?.remove();
    drawn.delete(id);
    items.delete(id);
    if (selected.delete(id)) selectionChanged();
  }

  // ---- Canvas size and scrolling ------------------------------------------------

  /** Half the canvas's size, in board units. */
  let canvasHalf = { width: 0, height: 0 };
  /** The scale the canvas is drawn at: 1 is 100 %. */
  let zoom = 1;

  /**
   * Grows or shrinks the canvas to hold every item, keeping the view
   * still. Beyond the items it reaches half a viewport further (at the
   * current zoom), so that every item, even at the edge, can be scrolled
   * to the middle of the view, and the canvas always fills the viewport.
   */
  function sizeCanvas() {
    let width = CANVAS_MIN_HALF.width;
    let height = CANVAS_MIN_HALF.height;
    for (const item of items.values()) {
      const { x, y } = positionOf(item);
      width = Math.max(width, Math.abs(x) + widthOf(item) / 2 + CANVAS_MARGIN);
      height = Math.max(height, Math.abs(y) + heightOf(item) + CANVAS_MARGIN);
    }
    width = Math.ceil(width + viewport.clientWidth / 2 / zoom);
    height = Math.ceil(height + viewport.clientHeight / 2 / zoom);
    if (width === canvasHalf.width && height === canvasHalf.height) return;
    const shift = { left: width - canvasHalf.width, top: height - canvasHalf.height };
    const first = canvasHalf.width === 0;
    canvasHalf = { width, height };
    canvas.style.width = `${2 * width}px`;
    canvas.style.height = `${2 * height}px`;
    applyScale();
    if (!first) {
      viewport.scrollLeft += shift.left * zoom;
      viewport.scrollTop += shift.top * zoom;
    }
  }

  /** Draws the canvas at `zoom`, and gives the sizer the scaled size. */
  function applyScale() {
    canvas.style.transform = `scale(${zoom})`;
    sizer.style.width = `${2 * canvasHalf.width * zoom}px`;
    sizer.style.height = `${2 * canvasHalf.height * zoom}px`;
  }

  /** Scroll coordinates (px from the sizer's top left) of a board point. */
  const toScroll = (x, y) => ({ left: (canvasHalf.width + x) * zoom, top: (canvasHalf.height + y) * zoom });

  function scrollToBoardPoint(x, y, behavior = "auto") {
    const { left, top } = toScroll(x, y);
    viewport.scrollTo({ left: left - viewport.clientWidth / 2, top: top - viewport.clientHeight / 2, behavior });
  }

  /**
   * The part of the board the viewport shows, in board coordinates
   * (`viewport.get()`): the scroll position and the viewport's inner size,
   * divided by the zoom, less the canvas's half size (the canvas's middle
   * is the board's centre). The sizer is the viewport's only content and
   * always larger than it, so the scroll position is all there is to it.
   */
  function visibleRect() {
    return {
      x: viewport.scrollLeft / zoom - canvasHalf.width,
      y: viewport.scrollTop / zoom - canvasHalf.height,
      width: viewport.clientWidth / zoom,
      height: viewport.clientHeight / zoom,
    };
  }

  /**
   * Zooms to `level` (kept within 10 % to 400 %) about the middle of the
   * view: the board point in the middle stays there.
   */
  function setZoom(level) {
    if (typeof level !== "number" || !Number.isFinite(level) || level <= 0) {
      throw new Error(`setZoom: the zoom level must be a positive number, not ${String(level)}`);
    }
    const rect = visibleRect();
    const middle = { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
    zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, level));
    sizeCanvas();
    applyScale();
    scrollToBoardPoint(middle.x, middle.y);
    showZoom();
  }

  /** The next zoom step in `direction` (+1 in, -1 out) from the current zoom. */
  function zoomStep(direction) {
    const epsilon = 1e-6;
    const next =
      direction > 0
        ? ZOOM_LEVELS.find((level) => level > zoom + epsilon)
        : [...ZOOM_LEVELS].reverse().find((level) => level < zoom - epsilon);
    setZoom(next ?? (direction > 0 ? MAX_ZOOM : MIN_ZOOM));
  }

  function showZoom() {
    const percent = `${Math.round(zoom * 100)}%`;
    zoomReadout.textContent = percent;
    zoomReadout.setAttribute("aria-label", `Zoom ${percent}: reset to 100%`);
    canvas.dataset.zoom = String(zoom);
    // Far out, the dots would shrink below a pixel into a grey haze.
    canvas.classList.toggle("is-far", zoom < 0.5);
    zoomOutButton.disabled = zoom <= MIN_ZOOM + 1e-6;
    zoomInButton.disabled = zoom >= MAX_ZOOM - 1e-6;
  }

  zoomOutButton.addEventListener("click", () => zoomStep(-1));
  zoomInButton.addEventListener("click", () => zoomStep(1));
  zoomReadout.addEventListener("click", () => setZoom(1));
  // A wider or taller window needs a larger canvas to stay filled.
  window.addEventListener("resize", () => sizeCanvas());

  /** Centre of the box around the given items (board coordinates). */
  function centreOf(list) {
    if (list.length === 0) return { x: 0, y: 0 };
    let [left, top, right, bottom] = [Infinity, Infinity, -Infinity, -Infinity];
    for (const item of list) {
      const { x, y } = positionOf(item);
      const [w, h2] = [widthOf(item) / 2, heightOf(item) / 2];
      left = Math.min(left, x - w);
      right = Math.max(right, x + w);
      top = Math.min(top, y - h2);
      bottom = Math.max(bottom, y + h2);
    }
    return { x: (left + right) / 2, y: (top + bottom) / 2 };
  }

  // ---- Selection -------------------------------------------------------------------

  function setSelected(id, on) {
    if (selected.has(id) === on) return;
    if (on) selected.add(id);
    else selected.delete(id);
    const element = drawn.get(id);
    element?.setAttribute("aria-selected", String(on));
    element?.classList.toggle("is-selected", on);
    selectionChanged();
  }

  let selectionTimer = null;
  let selectionVersion = 0;

  /**
   * Tells the app's frames the new selection (`selection:update` with
   * `{items}` in the SDK's shape), once per burst of changes: a click that
   * replaces the selection deselects and selects, and sends one event.
   */
  function selectionChanged() {
    if (selectionTimer !== null) return;
    selectionTimer = setTimeout(async () => {
      selectionTimer = null;
      const version = ++selectionVersion;
      let found = [];
      try {
        found = selected.size ? await host("board.get", [{ id: [...selected] }]) : [];
      } catch (error) {
        console.warn("sandbox: could not read the selection", error);
        return;
      }
      // A later change is on its way with its own, newer, list.
      if (version !== selectionVersion) return;
      broadcastEvent("selection:update", { items: Array.isArray(found) ? found : [] });
    }, 0);
  }

  function selectItem(id, { toggle = false } = {}) {
    if (toggle) {
      setSelected(id, !selected.has(id));
      return;
    }
    for (const other of [...selected]) if (other !== id) setSelected(other, false);
    setSelected(id, true);
  }

  function clearSelection() {
    for (const id of [...selected]) setSelected(id, false);
  }

  canvas.addEventListener("click", (event) => {
    const element = event.target.closest("[data-item-id]");
    if (!element) {
      if (event.target === canvas) clearSelection();
      return;
    }
    const id = element.dataset.itemId;
    const button = event.target.closest("[data-action]");
    if (button?.dataset.action === "open") openCard(id, button);
    else if (button?.dataset.action === "connect") connectCard(id, button);
    // A plain click selects the item; Shift, Ctrl or Cmd adds or removes it.
    selectItem(id, { toggle: !button && (event.shiftKey || event.metaKey || event.ctrlKey) });
  });

  canvas.addEventListener("keydown", (event) => {
    const element = event.target.closest?.("[data-item-id]");
    if (element && event.target === element && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      selectItem(element.dataset.itemId, { toggle: event.shiftKey || event.metaKey || event.ctrlKey });
    }
  });

  viewport.addEventListener("click", (event) => {
    if (event.target === viewport) clearSelection();
  });

  // ---- The host (the sandbox server) ------------------------------------------------

  /** Runs an SDK method on the host: `POST {hostBase}/sdk`. */
  async function host(method, args) {
    let response;
    try {
      response = await fetch(`${hostBase}/sdk`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ method, args }),
      });
    } catch (error) {
      throw new Error(`${method}: the sandbox did not answer (${error.message})`);
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      // An empty or non-JSON answer: the status says what happened.
    }
    if (!response.ok) {
      throw new Error(body?.error?.message || `${method} failed with HTTP ${response.status}`);
    }
    return body?.result ?? undefined;
  }

  async function fetchItems() {
    const response = await fetch(`${hostBase}/items`, { headers: { accept: "application/json" } });
    if (!response.ok) throw new Error(`loading the board's items failed with HTTP ${response.status}`);
    const body = await response.json();
    return Array.isArray(body?.items) ? body.items : [];
  }

  // ---- The app's iframes -------------------------------------------------------------

  /** Frames this page created, by role: "headless", "modal", "panel". */
  const frames = new Set();

  function appFrame(role, url, props = {}) {
    const iframe = h("iframe", { src: url, "data-role": role, ...props });
    frames.add(iframe);
    return iframe;
  }

  /** The frame (one of ours) whose window sent a message. */
  function frameOf(source) {
    if (!source) return null;
    for (const iframe of frames) if (iframe.contentWindow === source) return iframe;
    return null;
  }

  /** Posts to one of our frames, to the app's origin only. */
  function post(target, message) {
    try {
      target?.postMessage(message, app.origin);
    } catch (error) {
      console.warn("sandbox: could not post to an app frame", error);
    }
  }

  /** `url` resolved against the app's origin; must stay on that origin. */
  function appUrl(url) {
    if (typeof url !== "string" || url === "") throw new Error("a url is required");
    const resolved = new URL(url, app.origin);
    if (resolved.origin !== app.origin) {
      throw new Error(`the url must be on the app's origin ${app.origin}, not ${resolved.origin}`);
    }
    return resolved.href;
  }

  const headless = appFrame("headless", app.sdkUri, { hidden: true, title: `${app.name} (headless)`, "aria-hidden": "true", tabindex: "-1" });
  const headlessLoaded = new Promise((resolve) => headless.addEventListener("load", resolve, { once: true }));
  root.append(headless);

  /** Sends a UI event to the app's headless page once it has loaded. */
  async function sendEvent(event, payload) {
    await headlessLoaded;
    post(headless.contentWindow, { type: "miro-sandbox:event", event, payload });
  }

  /** Sends a board event to every app frame open now (headless, modal, panel). */
  async function broadcastEvent(event, payload) {
    await headlessLoaded;
    for (const frame of frames) post(frame.contentWindow, { type: "miro-sandbox:event", event, payload });
  }

  appButton.addEventListener("click", () => sendEvent("icon:click", undefined));

  const busy = new Set();

  /** `app_card:open` / `app_card:connect` with the card as the SDK sees it. */
  async function cardEvent(event, id, button) {
    if (busy.has(id)) return;
    busy.add(id);
    button?.setAttribute("aria-busy", "true");
    try {
      const appCard = await host("board.getById", [id]);
      await sendEvent(event, { appCard });
    } catch (error) {
      showToast("error", `Could not tell ${app.name}: ${error.message}`);
    } finally {
      busy.delete(id);
      button?.removeAttribute("aria-busy");
    }
  }

  const openCard = (id, button) => cardEvent("app_card:open", id, button);
  const connectCard = (id, button) => cardEvent("app_card:connect", id, button);

  // ---- Modal ---------------------------------------------------------------------------

  let modal = null; // { backdrop, dialog, iframe, opener, data, returnFocus }

  function openModal(opener, options) {
    if (!options || typeof options !== "object") throw new Error("openModal needs {url}");
    if (modal) throw new Error("a modal is already open: close it first");
    const url = appUrl(options.url);
    const size = {
      width: positive(options.width, DEFAULT_MODAL.width),
      height: positive(options.height, DEFAULT_MODAL.height),
    };
    const iframe = appFrame("modal", url, { title: app.name });
    const titleId = "sandbox-modal-title";
    const dialog = h(
      "div",
      {
        class: `modal${options.fullscreen ? " fullscreen" : ""}`,
        role: "dialog",
        "aria-modal": "true",
        "aria-labelledby": titleId,
        tabindex: "-1",
        style: options.fullscreen ? {} : { width: `${size.width}px` },
      },
      [
        h("div", { class: "modal-head" }, [
          h("span", { id: titleId, class: "modal-title", text: app.name }),
          h("button", { type: "button", class: "card-button", "data-action": "close-modal", "aria-label": "Close", title: "Close (Esc)", on: { click: () => closeModal(undefined) } }, [
            icon(ICONS.close),
          ]),
        ]),
        h("div", { class: "modal-body", style: options.fullscreen ? {} : { height: `${size.height}px` } }, [iframe]),
      ],
    );
    const backdrop = h("div", { class: "modal-backdrop", "data-role": "modal-backdrop" }, [dialog]);
    backdrop.addEventListener("mousedown", (event) => {
      if (event.target === backdrop) closeModal(undefined);
    });
    modal = { backdrop, dialog, iframe, opener, data: options.data, returnFocus: focusMark() };
    shell.inert = true;
    overlays.append(backdrop);
    // Into the dialog at once, into the app's page once it is there.
    dialog.focus();
    iframe.addEventListener("load", () => {
      if (modal?.iframe === iframe && document.activeElement === dialog) iframe.focus();
    }, { once: true });
  }

  function closeModal(result) {
    if (!modal) return;
    const { backdrop, iframe, opener, returnFocus } = modal;
    modal = null;
    frames.delete(iframe);
    backdrop.remove();
    shell.inert = false;
    returnFocus();
    post(opener, { type: "miro-sandbox:event", event: "modal:closed", payload: { result } });
  }

  /**
   * Remembers where the focus is and returns a function that puts it back
   * there, even if that item was redrawn meanwhile (a live update).
   */
  function focusMark() {
    const element = document.activeElement;
    const item = element?.closest?.("[data-item-id]");
    const itemId = item?.dataset.itemId;
    const action = element?.dataset?.action;
    return () => {
      let target = element;
      if (!target?.isConnected && itemId && drawn.has(itemId)) {
        const redrawn = drawn.get(itemId);
        target = (action && redrawn.querySelector(`[data-action="${action}"]`)) || redrawn;
      }
      if (target instanceof HTMLElement && target.isConnected && target !== document.body) target.focus();
    };
  }

  // Keep the focus inside an open modal.
  document.addEventListener("focusin", (event) => {
    if (modal && !modal.dialog.contains(event.target)) modal.dialog.focus();
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (modal) {
      event.preventDefault();
      closeModal(undefined);
    } else if (selected.size) {
      clearSelection();
    }
  });

  function positive(value, fallback) {
    const number = Number(value);
    return value !== undefined && value !== null && Number.isFinite(number) && number > 0 ? number : fallback;
  }

  // ---- Side panel ------------------------------------------------------------------------

  let panel = null; // { element, iframe, opener, data }

  function openPanel(opener, options) {
    if (!options || typeof options !== "object") throw new Error("openPanel needs {url}");
    const url = appUrl(options.url);
    closePanel(undefined); // a new panel replaces the open one
    const height = positive(options.height, 0);
    const iframe = appFrame("panel", url, { title: `${app.name} panel`, style: height ? { height: `${height}px`, flex: "none" } : {} });
    const element = h("aside", { class: "panel", "aria-label": `${app.name} panel`, style: { width: `${PANEL_WIDTH}px` } }, [
      h("div", { class: "panel-head" }, [
        h("span", { class: "panel-title", text: app.name }),
        h("button", { type: "button", class: "card-button", "data-action": "close-panel", "aria-label": "Close panel", title: "Close panel", on: { click: () => closePanel(undefined) } }, [
          icon(ICONS.close),
        ]),
      ]),
      iframe,
    ]);
    panel = { element, iframe, opener, data: options.data };
    panelSlot.append(element);
  }

  function closePanel(result) {
    if (!panel) return;
    const { element, iframe, opener } = panel;
    const hadFocus = element.contains(document.activeElement);
    panel = null;
    frames.delete(iframe);
    element.remove();
    if (hadFocus) appButton.focus();
    post(opener, { type: "miro-sandbox:event", event: "panel:closed", payload: { result } });
  }

  // ---- Notifications ----------------------------------------------------------------------

  function showToast(kind, message) {
    const toast = h("div", { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" }, [
      h("span", { class: "toast-text", text: message }),
    ]);
    toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS[kind]);
  }

  function notify(kind, message) {
    if (typeof message !== "string" || message.trim() === "") throw new Error("the message must be a non-empty string");
    showToast(kind, message);
  }

  // ---- Viewport ------------------------------------------------------------------------------

  function zoomTo(target) {
    const ids = (Array.isArray(target) ? target : [target])
      .map((item) => (typeof item === "string" ? item : item?.id))
      .filter((id) => typeof id === "string");
    const found = ids.filter((id) => items.has(id));
    if (found.length === 0) throw new Error("zoomTo: none of the items is on this board");
    const centre = centreOf(found.map((id) => items.get(id)));
    scrollToBoardPoint(centre.x, centre.y, "smooth");
    for (const id of found) {
      const element = drawn.get(id);
      element.classList.remove("is-highlighted");
      void element.offsetWidth; // restart the animation
      element.classList.add("is-highlighted");
      setTimeout(() => element.classList.remove("is-highlighted"), HIGHLIGHT_MS);
    }
  }

  // ---- The SDK relay ---------------------------------------------------------------------------

  /** SDK methods the page does itself; the rest go to the host. */
  const pageMethods = new Map([
    ["ui.openModal", (frame, [options]) => openModal(frame.contentWindow, options)],
    ["ui.closeModal", (_frame, [result]) => closeModal(result)],
    ["ui.canOpenModal", () => modal === null],
    ["ui.getModalData", (frame) => (modal && modal.iframe === frame ? modal.data : undefined)],
    ["ui.openPanel", (frame, [options]) => openPanel(frame.contentWindow, options)],
    ["ui.closePanel", (_frame, [result]) => closePanel(result)],
    ["ui.canOpenPanel", () => true],
    ["ui.getPanelData", (frame) => (panel && panel.iframe === frame ? panel.data : undefined)],
    ["notifications.showInfo", (_frame, [message]) => notify("info", message)],
    ["notifications.showError", (_frame, [message]) => notify("error", message)],
    ["viewport.zoomTo", (_frame, [target]) => zoomTo(target)],
    ["viewport.get", () => visibleRect()],
    ["viewport.getZoom", () => zoom],
    ["viewport.setZoom", (_frame, [level]) => setZoom(level)],
    ["board.getSelection", () => (selected.size ? host("board.get", [{ id: [...selected] }]) : [])],
  ]);

  async function perform(frame, method, args) {
    const local = pageMethods.get(method);
    return local ? local(frame, args) : host(method, args);
  }

  window.addEventListener("message", async (event) => {
    const frame = frameOf(event.source);
    if (!frame || event.origin !== app.origin) return;
    const message = event.data;
    if (!message || typeof message !== "object") return;

    if (message.type === "miro-sandbox:key") {
      if (message.key === "Escape" && modal) closeModal(undefined);
      return;
    }
    if (message.type !== "miro-sandbox:call") return;
    const { id, method } = message;
    const args = Array.isArray(message.args) ? message.args : [];
    let reply;
    try {
      if (typeof method !== "string") throw new Error("the call names no method");
      const result = await perform(frame, method, args);
      reply = { type: "miro-sandbox:reply", id, result };
    } catch (error) {
      reply = { type: "miro-sandbox:reply", id, error: { message: error?.message || String(error) } };
    }
    post(event.source, reply);
  });

  // ---- Live updates ------------------------------------------------------------------------------

  let events = null;
  let retryMs = 1000;
  // Ids changed by live events while a reload of the whole board is under
  // way: the reload's (older) copy must not overwrite them.
  let touchedDuringReload = null;

  function setLive(text, live) {
    liveStatus.textContent = text;
    liveStatus.classList.toggle("is-live", live);
  }

  /** Takes the board as the host has it now (after missed events). */
  async function reloadItems() {
    const touched = new Set();
    touchedDuringReload = touched;
    try {
      const fresh = await fetchItems();
      const freshIds = new Set(fresh.map((item) => item.id));
      for (const item of fresh) if (!touched.has(item.id)) upsertItem(item);
      for (const id of [...items.keys()]) if (!freshIds.has(id) && !touched.has(id)) removeItem(id);
    } catch (error) {
      console.warn("sandbox: could not reload the board", error);
    } finally {
      if (touchedDuringReload === touched) touchedDuringReload = null;
    }
  }

  function listen() {
    events = new EventSource(`${hostBase}/events`);
    events.addEventListener("open", () => {
      retryMs = 1000;
      setLive("Live", true);
      // Changes made between the page's render (or a drop) and now were
      // never sent: take the board afresh.
      reloadItems();
    });
    events.addEventListener("upsert", (event) => {
      const item = parseEvent(event);
      if (!item) return;
      touchedDuringReload?.add(item.id);
      upsertItem(item);
    });
    events.addEventListener("delete", (event) => {
      const id = parseEvent(event)?.id;
      if (typeof id !== "string") return;
      touchedDuringReload?.add(id);
      removeItem(id);
    });
    events.addEventListener("resync", () => reloadItems());
    events.addEventListener("error", () => {
      setLive("Reconnecting…", false);
      // EventSource retries by itself unless it gave up (CLOSED).
      if (events.readyState === EventSource.CLOSED) {
        events.close();
        setTimeout(listen, retryMs);
        retryMs = Math.min(retryMs * 2, 15000);
      }
    });
  }

  function parseEvent(event) {
    try {
      return JSON.parse(event.data);
    } catch {
      console.warn("sandbox: an event that is not JSON", event.data);
      return null;
    }
  }

  // ---- Start --------------------------------------------------------------------------------------

  viewport.tabIndex = -1;
  for (const item of bootstrap.items ?? []) upsertItem(item);
  sizeCanvas();
  showZoom();
  const start = centreOf([...items.values()]);
  scrollToBoardPoint(start.x, start.y);
  listen();
})();
