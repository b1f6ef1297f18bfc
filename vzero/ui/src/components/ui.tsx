// Small building blocks: buttons, dialogs, menus, tabs, toasts, relative times.
import type { ComponentChildren, JSX, Ref } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { X } from "lucide-preact";
import { dismiss, toasts } from "../state";
import { useStore } from "../store";

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & {
  variant?: "primary" | "secondary" | "ghost" | "danger";
  size?: "sm" | "md";
  type?: "button" | "submit";
  disabled?: boolean;
  buttonRef?: Ref<HTMLButtonElement>;
};

export function Button({ variant = "secondary", size = "md", type = "button", class: className, buttonRef, ...rest }: ButtonProps) {
  return <button ref={buttonRef} type={type} class={`btn btn-${variant} btn-${size} ${className ?? ""}`} {...rest} />;
}

/** An icon-only button: its label is its accessible name and its tooltip. */
export function IconButton({ label, children, class: className, pressed, ...rest }: ButtonProps & { label: string; pressed?: boolean }) {
  return (
    <button
      type="button"
      class={`icon-btn ${className ?? ""}`}
      aria-label={label}
      title={label}
      aria-pressed={pressed === undefined ? undefined : pressed}
      {...rest}
    >
      {children}
    </button>
  );
}

export function Spinner({ label = "Loading" }: { label?: string }) {
  return <span class="spinner" role="status" aria-label={label} />;
}

/** A modal dialog on the native <dialog>: focus stays inside, Escape closes it, focus returns to the opener. */
export function Dialog({ open, title, onClose, children, wide }: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      class={`dialog ${wide ? "dialog-wide" : ""}`}
      aria-label={title}
      onClose={onClose}
      onClick={(e) => e.target === ref.current && onClose()}
    >
      {open && (
        <div class="dialog-body">
          <header class="dialog-head">
            <h2>{title}</h2>
            <IconButton label="Close" onClick={onClose}>
              <X size={16} />
            </IconButton>
          </header>
          {children}
        </div>
      )}
    </dialog>
  );
}

export interface MenuItem {
  label: string;
  icon?: ComponentChildren;
  run: () => void;
  danger?: boolean;
  disabled?: boolean;
  checked?: boolean;
}

/** A button that opens a menu of actions (arrow keys move, Escape closes and returns focus). */
export function Menu({ label, trigger, items, align = "end", triggerClass }: { label: string; trigger: ComponentChildren; items: (MenuItem | "-")[]; align?: "start" | "end"; triggerClass?: string }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const first = menu.current?.querySelector<HTMLElement>("[role=menuitem]:not([disabled]),[role=menuitemradio]:not([disabled])");
    first?.focus();
    const outside = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);
  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const entries = [...(menu.current?.querySelectorAll<HTMLElement>("[role^=menuitem]:not([disabled])") ?? [])];
    const at = entries.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (at + (e.key === "ArrowDown" ? 1 : -1) + entries.length) % entries.length;
      entries[next]?.focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      entries[e.key === "Home" ? 0 : entries.length - 1]?.focus();
    } else if (e.key === "Tab") {
      close(false);
    }
  };
  return (
    <div class="menu-wrap">
      <button
        ref={button}
        type="button"
        class={triggerClass ?? "icon-btn"}
        aria-label={label}
        title={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => e.key === "ArrowDown" && (e.preventDefault(), setOpen(true))}
      >
        {trigger}
      </button>
      {open && (
        <div ref={menu} class={`menu menu-${align}`} role="menu" aria-label={label} onKeyDown={onKey}>
          {items.map((item, i) =>
            item === "-" ? (
              <div key={i} class="menu-sep" role="separator" />
            ) : (
              <button
                key={item.label}
                type="button"
                role={item.checked === undefined ? "menuitem" : "menuitemradio"}
                aria-checked={item.checked}
                class={`menu-item ${item.danger ? "danger" : ""}`}
                disabled={item.disabled}
                tabIndex={-1}
                onClick={() => {
                  close();
                  item.run();
                }}
              >
                <span class="menu-icon" aria-hidden="true">{item.icon}</span>
                {item.label}
                {item.checked && <span class="menu-check" aria-hidden="true">✓</span>}
              </button>
            ),
          )}
        </div>
      )}
    </div>
  );
}

/** Tabs with the ARIA pattern: arrow keys move between tabs, each tab controls its panel. */
export function Tabs<T extends string>({ tabs, value, onChange, label, idPrefix }: { tabs: { id: T; label: string; icon?: ComponentChildren; badge?: ComponentChildren }[]; value: T; onChange: (id: T) => void; label: string; idPrefix: string }) {
  const onKey = (e: KeyboardEvent) => {
    const at = tabs.findIndex((t) => t.id === value);
    let next = at;
    if (e.key === "ArrowRight") next = (at + 1) % tabs.length;
    else if (e.key === "ArrowLeft") next = (at - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tabs.length - 1;
    else return;
    e.preventDefault();
    onChange(tabs[next].id);
    document.getElementById(`${idPrefix}-tab-${tabs[next].id}`)?.focus();
  };
  return (
    <div class="tabs" role="tablist" aria-label={label} onKeyDown={onKey}>
      {tabs.map((t) => (
        <button
          key={t.id}
          id={`${idPrefix}-tab-${t.id}`}
          type="button"
          role="tab"
          class="tab"
          aria-selected={t.id === value}
          aria-controls={`${idPrefix}-panel-${t.id}`}
          tabIndex={t.id === value ? 0 : -1}
          onClick={() => onChange(t.id)}
        >
          {t.icon}
          <span>{t.label}</span>
          {t.badge}
        </button>
      ))}
    </div>
  );
}

export function Toasts() {
  const list = useStore(toasts);
  return (
    <div class="toasts" role="region" aria-label="Notifications">
      <div aria-live="polite" aria-atomic="false">
        {list.map((t) => (
          <div key={t.id} class={`toast toast-${t.tone}`} role={t.tone === "error" ? "alert" : "status"}>
            <span>{t.text}</span>
            {t.action && (
              <button
                type="button"
                class="toast-action"
                onClick={() => {
                  dismiss(t.id);
                  t.action!.run();
                }}
              >
                {t.action.label}
              </button>
            )}
            <IconButton label="Dismiss" class="toast-close" onClick={() => dismiss(t.id)}>
              <X size={14} />
            </IconButton>
          </div>
        ))}
      </div>
    </div>
  );
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function ago(iso: string | undefined): string {
  if (!iso) return "";
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  }
  return "just now";
}

export function Time({ iso }: { iso: string | undefined }) {
  return iso ? <time dateTime={iso} title={new Date(iso).toLocaleString()}>{ago(iso)}</time> : null;
}

export function EmptyState({ icon, title, children }: { icon?: ComponentChildren; title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      {icon && <div class="empty-icon" aria-hidden="true">{icon}</div>}
      <p class="empty-title">{title}</p>
      {children && <div class="empty-text">{children}</div>}
    </div>
  );
}

export function chatTitle(chat: { name?: string; id: string }): string {
  return chat.name?.trim() || "Untitled chat";
}
