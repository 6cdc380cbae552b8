// The panel's bridge to Miro's Web SDK, called from the panel's WASM
// (app/src/panel/view/sdk.rs). Answers are JSON text, so the WASM reads
// them with the same types it uses everywhere else.
"use strict";

window.miroPanel = {
  /** The visible part of the board, in board coordinates. */
  async viewport() {
    const { x, y, width, height } = await miro.board.viewport.get();
    return JSON.stringify({ x, y, width, height });
  },

  /** The selected sticky notes' ids, and how many other items are selected. */
  async selectedStickyNotes() {
    const items = await miro.board.getSelection();
    const notes = items.filter((item) => item.type === "sticky_note").map((item) => item.id);
    return JSON.stringify({ sticky_notes: notes, others: items.length - notes.length });
  },

  /** Loads the panel again with a fresh ticket. */
  reopen(boardId) {
    miroCards
      .panelUrl(boardId)
      .then((url) => location.replace(url))
      .catch((error) => {
        const hint = document.getElementById("panel-failed-hint");
        if (hint) hint.textContent = error.message;
      });
  },
};
