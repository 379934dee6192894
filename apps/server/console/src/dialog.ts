import { append, type Child, h } from "./dom.js";

/**
 * Asks for confirmation in a modal `<dialog>` (focus moves into it, Escape cancels). Resolves true when the
 * user confirms. `extra` (e.g. a textarea) goes between the question and the buttons.
 */
export interface ConfirmOptions {
  title: string;
  body: Child;
  confirmLabel: string;
  danger?: boolean;
  extra?: HTMLElement;
}

export function confirmAction(opts: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    const dialog = h("dialog", { class: "confirm", attrs: { "aria-labelledby": titleId } });
    const finish = (ok: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    const cancel = h("button", { type: "button", on: { click: () => finish(false) } }, "Cancel");
    const confirm = h(
      "button",
      { type: "button", class: opts.danger ? "danger" : "primary", on: { click: () => finish(true) } },
      opts.confirmLabel,
    );
    append(
      dialog,
      h("h2", { id: titleId }, opts.title),
      h("div", { class: "dialog-body" }, opts.body),
      opts.extra,
      h("div", { class: "actions" }, cancel, confirm),
    );
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/**
 * A button that, on click, asks `confirm()` (built at click time) and runs `run` when the user confirms; when
 * they cancel, focus returns to the button and nothing runs.
 */
export function confirmButton(opts: {
  label: string;
  class: string;
  confirm: () => ConfirmOptions;
  run: () => Promise<void>;
}): HTMLButtonElement {
  const button = h(
    "button",
    {
      type: "button",
      class: opts.class,
      on: {
        click: async () => {
          if (!(await confirmAction(opts.confirm()))) return button.focus();
          await opts.run();
        },
      },
    },
    opts.label,
  );
  return button;
}
