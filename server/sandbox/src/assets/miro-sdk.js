// @ts-check
// The Miro sandbox's stand-in for Miro's Web SDK v2: defines the global
// `miro` for the app pages the sandbox board loads in its iframes
// (headless, modal, panel), served at /sandbox/sdk/v2/miro.js.
//
// It owns only the iframe side of the conversation with the board page
// (board.js): every call posts
//   {type: "miro-sandbox:call", id, method, args}
// to `window.parent` and waits (at most 15 s) for
//   {type: "miro-sandbox:reply", id, result} or {..., error: {message}}.
// The board posts {type: "miro-sandbox:event", event, payload} for UI events
// (`app_card:open`, `app_card:connect`, `icon:click`, `selection:update`)
// and for the end of a modal or panel this frame opened (`modal:closed`,
// `panel:closed`). The
// frame also tells the board when Escape is pressed inside it
// ({type: "miro-sandbox:key", key: "Escape"}), so Esc closes a modal even
// while the focus is in the modal's page.
//
// Names, arguments and results follow `@mirohq/websdk-types`; the JSDoc
// types below are checked against that package by `npm run check:sdk` in
// end2end/. Only the subset of the SDK the sandbox supports is defined;
// anything else is `undefined` on `miro.board`. Items come back as plain
// objects in the SDK's shape, with `sync()` on their prototype.
(function () {
  "use strict";

  /** @typedef {import("@mirohq/websdk-types").Miro} Miro */
  /** @typedef {Miro["board"]} Board */
  /** @typedef {Board["ui"]} BoardUI */
  /** @typedef {Board["notifications"]} Notifications */
  /** @typedef {Board["viewport"]} Viewport */
  /** @typedef {import("@mirohq/websdk-types").Item} Item */
  /** @typedef {import("@mirohq/websdk-types").AppCard} AppCard */
  /** @typedef {import("@mirohq/websdk-types").StickyNote} StickyNote */
  /** @typedef {Awaited<ReturnType<Viewport["get"]>>} Rect */
  /** @typedef {import("@mirohq/websdk-types").Unsupported} Unsupported */
  /** @typedef {import("@mirohq/websdk-types").BoardInfo} BoardInfo */
  /** @typedef {import("@mirohq/websdk-types").UserInfo} UserInfo */
  // The items the board holds (`Item` above adds `Unsupported`).
  /**
   * @typedef {import("@mirohq/websdk-types").AppCard | import("@mirohq/websdk-types").Card
   *   | import("@mirohq/websdk-types").Connector | import("@mirohq/websdk-types").Embed
   *   | import("@mirohq/websdk-types").Frame | import("@mirohq/websdk-types").Group
   *   | import("@mirohq/websdk-types").Image | import("@mirohq/websdk-types").Preview
   *   | import("@mirohq/websdk-types").Shape | import("@mirohq/websdk-types").StickyNote
   *   | import("@mirohq/websdk-types").Tag | import("@mirohq/websdk-types").Text} BoardItem
   */

  // The part of the official `miro` the sandbox implements. `Pick` makes
  // the type checker reject a misspelt method, and each implementation is
  // checked against the official signature it stands for.
  /**
   * @typedef {Pick<Board, "getInfo" | "getUserInfo" | "getIdToken" | "getById" | "get"
   *   | "getSelection" | "createAppCard" | "createStickyNote" | "remove" | "sync">} SandboxBoardCalls
   * @typedef {Pick<BoardUI, "on" | "off" | "openModal" | "closeModal" | "canOpenModal"
   *   | "getModalData" | "openPanel" | "closePanel" | "canOpenPanel" | "getPanelData">} SandboxUI
   * @typedef {Pick<Notifications, "showInfo" | "showError" | "show">} SandboxNotifications
   * @typedef {Pick<Viewport, "get" | "zoomTo" | "getZoom" | "setZoom">} SandboxViewport
   * @typedef {SandboxBoardCalls & {
   *   readonly ui: SandboxUI,
   *   readonly notifications: SandboxNotifications,
   *   readonly viewport: SandboxViewport,
   * }} SandboxBoard
   * @typedef {{ readonly board: SandboxBoard, readonly clientVersion: Miro["clientVersion"] }} SandboxMiro
   */

  /** @typedef {(...args: any[]) => void} Listener */
  /** @typedef {{ resolve: (value: unknown) => void, reject: (error: Error) => void, timer: number }} PendingCall */
  /** @typedef {{ promise: Promise<unknown>, resolve: (value: unknown) => void }} Waiter */

  const CALL_TIMEOUT_MS = 15_000;
  const CALL = "miro-sandbox:call";
  const REPLY = "miro-sandbox:reply";
  const EVENT = "miro-sandbox:event";
  const KEY = "miro-sandbox:key";
  // The UI events the sandbox board fires; others may be registered but
  // never happen here.
  const FIRED_EVENTS = ["app_card:open", "app_card:connect", "icon:click", "selection:update"];

  // The board page is served from the same place as this script; messages
  // go to, and are only accepted from, that origin.
  const boardOrigin = originOf(
    document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : "",
  ) || originOf(document.referrer);

  /** @param {string} url */
  function originOf(url) {
    try {
      return url ? new URL(url).origin : "";
    } catch {
      return "";
    }
  }

  // ---- Calls to the board -------------------------------------------------

  let nextCallId = 1;
  /** @type {Map<string, PendingCall>} */
  const pending = new Map();

  /**
   * Asks the board page to run `method` and resolves to its result.
   * @param {string} method e.g. "board.getInfo", "ui.openModal"
   * @param {unknown[]} args
   * @returns {Promise<unknown>}
   */
  function call(method, args) {
    return new Promise((resolve, reject) => {
      if (window.parent === window || !boardOrigin) {
        reject(new Error(`miro.${method}: this page is not running inside a Miro sandbox board`));
        return;
      }
      const id = `call-${nextCallId++}`;
      const timer = window.setTimeout(() => {
        pending.delete(id);
        reject(new Error(`miro.${method}: the board did not answer within ${CALL_TIMEOUT_MS / 1000} s`));
      }, CALL_TIMEOUT_MS);
      pending.set(id, { resolve, reject, timer });
      try {
        window.parent.postMessage({ type: CALL, id, method, args }, boardOrigin);
      } catch (error) {
        // Typically a DataCloneError: an argument holds a function or a DOM node.
        window.clearTimeout(timer);
        pending.delete(id);
        reject(new Error(`miro.${method}: ${error instanceof Error ? error.message : String(error)}`));
      }
    });
  }

  // ---- Items ---------------------------------------------------------------

  // Methods every item returned by the stand-in has, like the SDK's item
  // classes. Kept on the prototype so the item's own properties are only
  // its data (and survive structured cloning).
  const itemMethods = {
    /** Pushes the item's current properties to the board and takes back what the board stored. */
    async sync() {
      await syncItem(/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (this)));
    },
  };

  /**
   * An item in the SDK's shape, as the board sent it, with `sync()`.
   * @param {unknown} raw
   * @returns {Item}
   */
  function toItem(raw) {
    const item = Object.assign(Object.create(itemMethods), raw);
    // Plain data with the SDK's property names: the stand-in does not
    // build the SDK's item classes, whose other methods it does not offer.
    return /** @type {Item} */ (item);
  }

  /**
   * @param {unknown} raw
   * @returns {Item[]}
   */
  function toItems(raw) {
    return Array.isArray(raw) ? raw.map(toItem) : [];
  }

  /**
   * The item's own data properties (what the SDK sends for `sync`).
   * @param {object} item
   * @returns {Record<string, unknown>}
   */
  function ownData(item) {
    /** @type {Record<string, unknown>} */
    const data = {};
    for (const [key, value] of Object.entries(item)) {
      if (typeof value !== "function") data[key] = value;
    }
    return data;
  }

  /**
   * `board.sync`: sends the item's properties and copies the stored values back.
   * @param {object} item
   */
  async function syncItem(item) {
    const stored = await call("board.sync", [ownData(item)]);
    if (stored && typeof stored === "object") Object.assign(item, stored);
  }

  /**
   * Only the ids of the given items (as the board needs for `zoomTo`).
   * @param {{ id: string } | { id: string }[]} items
   */
  function idsOf(items) {
    return (Array.isArray(items) ? items : [items]).map((item) => ({ id: item.id }));
  }

  // ---- Modals and panels ---------------------------------------------------

  /** @returns {Waiter} */
  function waiter() {
    /** @type {(value: unknown) => void} */
    let resolve = () => {};
    const promise = new Promise((r) => (resolve = r));
    return { promise, resolve };
  }

  // One waiter per modal (panel) this frame opened, oldest first: the board
  // reports their ends in the same order.
  /** @type {Waiter[]} */
  const modalWaiters = [];
  /** @type {Waiter[]} */
  const panelWaiters = [];

  /**
   * @param {"ui.openModal" | "ui.openPanel"} method
   * @param {{ url: string }} options the official OpenModalOptions or OpenPanelOptions
   * @param {Waiter[]} waiters
   */
  async function openFrame(method, options, waiters) {
    const ended = waiter();
    await call(method, [options]);
    waiters.push(ended);
    return { waitForClose: () => ended.promise };
  }

  // ---- UI events -----------------------------------------------------------

  /** @type {Map<string, Set<Listener>>} */
  const handlers = new Map();

  /**
   * @param {string} event
   * @param {unknown} payload
   */
  function dispatch(event, payload) {
    if (event === "modal:closed" || event === "panel:closed") {
      const waiters = event === "modal:closed" ? modalWaiters : panelWaiters;
      const result = payload && typeof payload === "object" && "result" in payload ? payload.result : undefined;
      waiters.shift()?.resolve(result);
      return;
    }
    const listeners = handlers.get(event);
    if (!listeners) return;
    /** @type {unknown[]} */
    let args = [];
    if (event === "app_card:open" || event === "app_card:connect") {
      const appCard = payload && typeof payload === "object" && "appCard" in payload ? payload.appCard : undefined;
      args = [{ appCard: toItem(appCard) }];
    } else if (event === "selection:update") {
      const items = payload && typeof payload === "object" && "items" in payload ? payload.items : [];
      args = [{ items: toItems(items) }];
    } else if (payload !== undefined) {
      args = [payload];
    }
    for (const listener of [...listeners]) {
      try {
        listener(...args);
      } catch (error) {
        console.error(`miro: a handler for ${event} failed`, error);
      }
    }
  }

  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || event.origin !== boardOrigin) return;
    const message = event.data;
    if (!message || typeof message !== "object") return;
    if (message.type === REPLY) {
      const call = pending.get(message.id);
      if (!call) return;
      pending.delete(message.id);
      window.clearTimeout(call.timer);
      if (message.error) {
        call.reject(new Error(String(message.error.message ?? "the board refused the call")));
      } else {
        call.resolve(message.result);
      }
    } else if (message.type === EVENT && typeof message.event === "string") {
      dispatch(message.event, message.payload);
    }
  });

  // Escape inside this frame: let the board close its modal, unless the
  // app's page used the key itself.
  window.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || window.parent === window || !boardOrigin) return;
    window.parent.postMessage({ type: KEY, key: "Escape" }, boardOrigin);
  });

  // ---- The `miro` global -----------------------------------------------------

  /** @type {SandboxUI} */
  const ui = {
    async on(event, handler) {
      if (typeof handler !== "function") throw new TypeError(`miro.board.ui.on(${event}): the handler must be a function`);
      if (!FIRED_EVENTS.includes(event)) {
        console.warn(`miro: the sandbox board never fires "${event}"`);
      }
      let listeners = handlers.get(event);
      if (!listeners) handlers.set(event, (listeners = new Set()));
      listeners.add(handler);
    },
    async off(event, handler) {
      handlers.get(event)?.delete(handler);
    },

    /**
     * @template [Data=undefined]
     * @template [Result=undefined]
     * @param {import("@mirohq/websdk-types").OpenModalOptions<Data>} options
     * @returns {Promise<{ waitForClose: () => Promise<Result | undefined> }>}
     */
    async openModal(options) {
      const opened = await openFrame("ui.openModal", options, modalWaiters);
      return { waitForClose: () => /** @type {Promise<Result | undefined>} */ (opened.waitForClose()) };
    },
    async closeModal(result) {
      await call("ui.closeModal", result === undefined ? [] : [result]);
    },
    async canOpenModal() {
      return (await call("ui.canOpenModal", [])) === true;
    },
    /**
     * @template [Data=unknown]
     * @returns {Promise<Data | undefined>}
     */
    async getModalData() {
      return /** @type {Data | undefined} */ (await call("ui.getModalData", []));
    },

    /**
     * @template [Data=undefined]
     * @template [Result=undefined]
     * @param {import("@mirohq/websdk-types").OpenPanelOptions<Data>} options
     * @returns {Promise<{ waitForClose: () => Promise<Result | undefined> }>}
     */
    async openPanel(options) {
      const opened = await openFrame("ui.openPanel", options, panelWaiters);
      return { waitForClose: () => /** @type {Promise<Result | undefined>} */ (opened.waitForClose()) };
    },
    async closePanel(result) {
      await call("ui.closePanel", result === undefined ? [] : [result]);
    },
    async canOpenPanel() {
      return (await call("ui.canOpenPanel", [])) === true;
    },
    /**
     * @template [Data=unknown]
     * @returns {Promise<Data | undefined>}
     */
    async getPanelData() {
      return /** @type {Data | undefined} */ (await call("ui.getPanelData", []));
    },
  };

  /** @type {SandboxNotifications} */
  const notifications = {
    async showInfo(message) {
      await call("notifications.showInfo", [message]);
    },
    async showError(message) {
      await call("notifications.showError", [message]);
    },
    async show({ type, message }) {
      await call(type === "error" ? "notifications.showError" : "notifications.showInfo", [message]);
    },
  };

  /** @type {SandboxViewport} */
  const viewport = {
    /** The visible part of the board, in board coordinates (the centre is 0, 0). */
    async get() {
      return /** @type {Rect} */ (await call("viewport.get", []));
    },
    async zoomTo(items) {
      await call("viewport.zoomTo", [idsOf(items)]);
    },
    async getZoom() {
      return Number(await call("viewport.getZoom", []));
    },
    /** The board keeps the level within its range (10 % to 400 %). */
    async setZoom(zoomLevel) {
      await call("viewport.setZoom", [zoomLevel]);
    },
  };

  /** @type {SandboxBoard} */
  const board = {
    ui,
    notifications,
    viewport,

    async getInfo() {
      return /** @type {BoardInfo} */ (await call("board.getInfo", []));
    },
    async getUserInfo() {
      return /** @type {UserInfo} */ (await call("board.getUserInfo", []));
    },
    async getIdToken() {
      return String(await call("board.getIdToken", []));
    },
    async getById(id) {
      return toItem(await call("board.getById", [id]));
    },
    /**
     * @template {import("@mirohq/websdk-types/core/builder/types").QueryFilter<BoardItem>} F
     * @param {F} [filter]
     */
    async get(filter) {
      const items = toItems(await call("board.get", filter === undefined ? [] : [filter]));
      // The official result type narrows by the filter's `type`; the board
      // applied the same filter.
      return /** @type {import("@mirohq/websdk-types/core/builder/types").QueryReturn<BoardItem, F>} */ (
        /** @type {unknown} */ (items)
      );
    },
    async getSelection() {
      return toItems(await call("board.getSelection", []));
    },
    async createAppCard(props) {
      return /** @type {AppCard} */ (toItem(await call("board.createAppCard", props === undefined ? [] : [props])));
    },
    async createStickyNote(props) {
      return /** @type {StickyNote} */ (toItem(await call("board.createStickyNote", props === undefined ? [] : [props])));
    },
    async remove(item) {
      await call("board.remove", [{ id: item.id }]);
    },
    async sync(item) {
      await syncItem(item);
    },
  };

  /** @type {SandboxMiro} */
  const sandboxMiro = Object.freeze({ board: Object.freeze(board), clientVersion: "2.17.2-sandbox" });

  // The global the SDK defines. The stand-in offers a subset of `Miro`
  // (see SandboxMiro above): the cast names that on purpose.
  window.miro = /** @type {Miro} */ (/** @type {unknown} */ (sandboxMiro));
})();
