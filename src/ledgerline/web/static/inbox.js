// Ledgerline agent inbox: vanilla JS over /inbox/api and the /inbox/stream WebSocket.
// Auth is the HttpOnly agent cookie; state-changing calls carry X-CSRF-Token.
// All text goes through textContent: no HTML is ever built from data.
(() => {
  "use strict";

  const meta = (name) => {
    const node = document.querySelector(`meta[name="${name}"]`);
    return node ? node.getAttribute("content") || "" : "";
  };
  const $ = (sel) => document.querySelector(sel);
  const CSRF = meta("csrf-token");
  const LOCALE = meta("ll-locale") || "vi";
  const ME = meta("ll-agent");
  const SUPERVISOR = meta("ll-role") === "supervisor";
  let T = {};
  const t = (key, vals) =>
    (T[key] || key).replace(/\{(\w+)\}/g, (m, n) => (vals && n in vals ? String(vals[n]) : m));

  const state = {
    queue: [],
    current: null, // conversation id
    conversation: null,
    mids: new Set(),
    typingTimer: null,
    myTypingAt: 0,
    ws: null,
    attempt: 0,
  };

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };

  async function api(method, path, body) {
    const opts = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body || {});
    }
    const res = await fetch("/inbox/api" + path, opts);
    if (res.status === 401) {
      window.location.assign("/inbox?expired=1");
      throw new Error("session expired");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
    return data;
  }

  function showError(e) {
    const box = $("#error");
    box.textContent = t("inbox_error", { message: e.message });
    box.hidden = false;
    setTimeout(() => (box.hidden = true), 5000);
  }

  const act = (action, body) =>
    api("POST", `/conversations/${state.current}/${action}`, body).catch(showError);

  function since(ms) {
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m`;
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  }

  // ---- queue ---------------------------------------------------------------------------
  async function loadQueue() {
    state.queue = (await api("GET", "/queue")).data;
    renderQueue();
  }

  function renderQueue() {
    const list = $("#queue");
    list.replaceChildren();
    $("#queue-empty").hidden = state.queue.length > 0;
    for (const c of state.queue) {
      const sub = c.agent_name ? t("inbox_assigned_to", { name: c.agent_name }) : t("inbox_unassigned");
      const wait = c.waiting_since ? " · " + t("inbox_waiting", { time: since(c.waiting_since) }) : "";
      list.append(
        el(
          "li",
          {},
          el(
            "button",
            {
              type: "button",
              class: "item" + (c.conversation_id === state.current ? " active" : ""),
              "data-testid": "queue-item",
              "data-conversation": String(c.conversation_id),
              onclick: () => openConversation(c.conversation_id).catch(showError),
            },
            el("span", { class: "avatar", text: (c.person_name || "?").slice(0, 1) }),
            el(
              "span",
              { class: "item-body" },
              el("span", { class: "item-title", text: c.person_name }),
              el("span", { class: "item-sub", text: sub + wait }),
            ),
            el("span", { class: "state " + c.status, "data-status": c.status, text: t("inbox_status_" + c.status) }),
          ),
        ),
      );
    }
  }

  // ---- one conversation ------------------------------------------------------------------
  async function openConversation(id) {
    state.current = id;
    const data = await api("GET", `/conversations/${id}`);
    if (state.current !== id) return;
    state.conversation = data.conversation;
    state.mids = new Set();
    $("#pick").hidden = true;
    $("#talk").hidden = false;
    $("#side").hidden = false;
    showView("talk");
    $("#person").textContent = data.conversation.person_name;
    $("#messages").replaceChildren();
    $("#context").replaceChildren();
    showTyping(false);
    for (const m of data.messages) addMessage(m);
    renderNotes(data.notes);
    renderHeader();
    state.readWatermark = data.read_watermark || 0;
    renderSeen();
    renderQueue();
    act("seen");
    $("#reply-text").focus();
  }

  function renderHeader() {
    const c = state.conversation;
    if (!c) return;
    $("#assignee").textContent = c.agent_name ? t("inbox_assigned_to", { name: c.agent_name }) : t("inbox_unassigned");
    $("#assign-me").hidden = c.agent_id === ME || c.status === "closed";
    const banner = $("#banner");
    const lines = [];
    if (c.metadata) lines.push(t("inbox_metadata", { text: c.metadata }));
    if (c.requested_by && c.status !== "closed") lines.push(t("inbox_requested"));
    if (c.status === "closed") {
      const why = "inbox_closed_" + (c.close_reason || "");
      lines.push(T[why] ? t(why) : t("inbox_closed"));
    }
    banner.textContent = lines.join(" ");
    banner.hidden = lines.length === 0;
    const closed = c.status === "closed";
    for (const id of ["#reply-text", "#hand-back", "#close"]) $(id).disabled = closed;
    $("#reply").hidden = closed;
    $("#canned").hidden = closed;
    $("#talk").dataset.status = c.status;
  }

  function addMessage(m) {
    if (state.mids.has(m.mid)) return;
    state.mids.add(m.mid);
    const bubble = el("div", { class: "bubble" });
    let text = m.text;
    if (m.vault) text = vaultText(m.kind);
    else if (!text && m.attachment) text = templateText(m.attachment);
    bubble.append(el("p", { class: "text", text: text || "" }));
    const answered = answerText(m);
    if (answered) bubble.append(el("p", { class: "answer", "data-testid": "answer", text: answered }));
    const node = el(
      "div",
      { class: `msg ${m.from}` + (m.agent ? " agent" : ""), "data-testid": "message", "data-mid": m.mid },
      m.agent ? el("span", { class: "label", text: m.agent.name }) : null,
      bubble,
      el("time", { datetime: m.created_time, text: new Date(m.created_time).toLocaleTimeString(LOCALE) }),
    );
    const box = $("#messages");
    box.append(node);
    box.scrollTop = box.scrollHeight;
    renderSeen();
  }

  // A message whose body is in the vault: what it is (a card payment, a balance…), never
  // its content (that is the audited Financial context).
  function vaultText(kind) {
    if (kind === "fraud_alert") return t("inbox_vault_alert");
    const key = "inbox_vault_" + kind;
    return T[key] ? t(key) : t("inbox_vault_message");
  }

  // A template the platform or the bank sent: its text and its buttons' titles.
  function templateText(att) {
    const p = att.payload || {};
    const titles = (p.buttons || []).map((b) => b.title).filter(Boolean);
    if (p.text) return titles.length ? `${p.text} [${titles.join(" | ")}]` : p.text;
    return "[" + (p.template_type || att.type) + "]";
  }

  // What a person's message answered (a fraud alert, "Not me", the satisfaction question),
  // and what became of a question of the platform's.
  function answerText(m) {
    const a = m.answer;
    if (a && (a.kind === "fraud_alert" || a.kind === "report")) {
      const vals = {
        transaction: a.transaction_id,
        verdict: t("inbox_verdict_" + a.verdict),
        via: t("inbox_via_" + (a.via || "button")),
      };
      return t(a.kind === "report" ? "inbox_answer_report" : "inbox_answer_alert", vals);
    }
    if (a && a.kind === "satisfaction") return t("inbox_answer_satisfaction", { score: a.score });
    if (m.from === "page" && m.state && m.state.status === "answered") {
      return t("inbox_state_answered", { answer: m.state.answer || "" });
    }
    return "";
  }

  function renderSeen() {
    let lastPage = null;
    for (const m of $("#messages").querySelectorAll(".msg.page")) lastPage = m;
    const time = lastPage ? Date.parse(lastPage.querySelector("time").getAttribute("datetime")) : 0;
    $("#seen").hidden = !(lastPage && state.readWatermark && state.readWatermark >= time);
  }

  function renderNotes(notes) {
    const list = $("#notes");
    list.replaceChildren();
    for (const n of notes) addNote(n);
  }

  function addNote(n) {
    $("#notes").append(
      el("li", { "data-testid": "note" }, el("span", { class: "by", text: n.agent_name }), n.text),
    );
  }

  function showTyping(on) {
    const box = $("#typing");
    clearTimeout(state.typingTimer);
    box.hidden = !on;
    box.textContent = on && state.conversation ? t("inbox_typing", { name: state.conversation.person_name }) : "";
    if (on) state.typingTimer = setTimeout(() => showTyping(false), 15000);
  }

  function renderContext(ctx) {
    const box = $("#context");
    box.replaceChildren();
    const wrap = el("div", { class: "ctx" });
    if (ctx.refused.length) {
      wrap.append(el("p", { class: "notice", "data-testid": "context-refused", text: t("inbox_refused", { what: ctx.refused.map((s) => t("inbox_scope_" + s)).join(", ") }) }));
    }
    if (ctx.balances.length) {
      wrap.append(el("h4", { text: t("inbox_balances") }));
      const table = el("table", {});
      for (const b of ctx.balances) table.append(el("tr", {}, el("td", { text: b.account }), el("td", { text: b.available })));
      wrap.append(table);
    }
    if (ctx.transactions.length) {
      wrap.append(el("h4", { text: t("inbox_transactions") }));
      const table = el("table", {});
      for (const x of ctx.transactions) {
        table.append(
          el("tr", { "data-testid": "context-transaction" },
            el("td", { text: new Date(x.when).toLocaleDateString(LOCALE) }),
            el("td", { text: x.merchant }),
            el("td", { text: (x.direction === "credit" ? "+" : "−") + x.amount }),
            el("td", { text: x.status ? t("inbox_tx_" + x.status) : "" }),
          ),
        );
      }
      wrap.append(table);
    }
    if (!ctx.balances.length && !ctx.transactions.length && !ctx.refused.length) {
      wrap.append(el("p", { class: "muted", text: t("inbox_nothing") }));
    }
    box.append(wrap);
  }

  async function loadCanned() {
    const box = $("#canned");
    box.replaceChildren();
    for (const c of (await api("GET", "/canned")).data) {
      box.append(
        el("button", {
          type: "button",
          class: "chip",
          "data-testid": "canned",
          title: c.text,
          text: c.title,
          onclick: () => {
            $("#reply-text").value = c.text;
            $("#reply-text").focus();
          },
        }),
      );
      if (SUPERVISOR) {
        box.append(
          el("button", {
            type: "button",
            class: "chip remove",
            "aria-label": t("inbox_canned_delete", { title: c.title }),
            text: "×",
            onclick: () => api("POST", `/canned/${c.reply_id}/delete`).then(loadCanned).catch(showError),
          }),
        );
      }
    }
  }

  async function loadAgents() {
    const select = $("#assign-to");
    if (!select) return;
    for (const a of (await api("GET", "/agents")).data) {
      select.append(el("option", { value: a.agent_id, text: a.name }));
    }
    select.addEventListener("change", () => {
      if (select.value && state.current) act("assign", { agent_id: select.value });
      select.value = "";
    });
  }

  async function loadMetrics() {
    const box = $("#metrics");
    if (!box) return;
    const m = await api("GET", "/metrics");
    const secs = (v) => (v === null ? "—" : t("inbox_seconds", { n: v }));
    const table = (rows, first, label) => {
      const out = el("table", {}, el("tr", {},
        el("th", { text: label }), el("th", { text: t("inbox_conversations") }),
        el("th", { text: t("inbox_first_response") }), el("th", { text: t("inbox_resolution") }),
        el("th", { text: t("inbox_satisfaction") })));
      for (const r of rows) {
        out.append(el("tr", { "data-testid": "metrics-row" },
          el("td", { text: r[first] }), el("td", { text: String(r.conversations) }),
          el("td", { text: secs(r.first_response_seconds) }), el("td", { text: secs(r.resolution_seconds) }),
          el("td", { text: r.satisfaction === null ? "—" : `${r.satisfaction} (${r.satisfaction_answers})` })));
      }
      return out;
    };
    box.replaceChildren(table(m.agents, "name", t("inbox_agent")), table(m.days, "day", t("inbox_day")));
  }

  // Which pane a phone shows (one at a time; a desktop shows all three).
  function showView(view) {
    $("#inbox").dataset.view = view;
    if (view === "queue") renderQueue();
  }

  // The open conversation as the server has it now (after an action, or a frame about it).
  function refreshCurrent() {
    const id = state.current;
    if (id === null) return Promise.resolve();
    refreshQueue();
    return api("GET", `/conversations/${id}`).then((data) => {
      if (state.current !== id) return;
      state.conversation = data.conversation;
      for (const m of data.messages) addMessage(m);
      renderHeader();
    }).catch(() => {});
  }

  // ---- live ------------------------------------------------------------------------------
  function connect() {
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${window.location.host}/inbox/stream`);
    state.ws = ws;
    ws.onopen = () => {
      const again = state.attempt > 0 || state.everConnected;
      state.attempt = 0;
      state.everConnected = true;
      $("#live").textContent = t("inbox_live");
      $("#live").classList.add("on");
      document.body.dataset.live = "1";
      if (again) {
        loadQueue().catch(() => {});
        if (state.current) openConversation(state.current).catch(() => {});
      }
    };
    ws.onmessage = (ev) => {
      try {
        onFrame(JSON.parse(ev.data));
      } catch (e) {
        /* ignore a bad frame */
      }
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      $("#live").textContent = t("inbox_offline");
      $("#live").classList.remove("on");
      document.body.dataset.live = "0";
      const delay = Math.min(10000, 500 * 2 ** state.attempt);
      state.attempt += 1;
      setTimeout(connect, delay);
    };
  }

  let queueTimer = null;
  function refreshQueue() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(() => loadQueue().catch(() => {}), 100);
  }

  function onFrame(f) {
    const mine = state.conversation && f.conversation_id === state.current;
    const samePerson = state.conversation && f.user_id === state.conversation.user_id;
    if (f.type === "message") {
      if (mine) {
        addMessage(f.message);
        if (f.message.from === "user") {
          showTyping(false);
          act("seen");
        }
      }
      refreshQueue();
    } else if (f.type === "queue" || f.type === "control" || f.type === "request") {
      refreshQueue();
      if (mine || samePerson) refreshCurrent();
    } else if (f.type === "note" && mine) {
      addNote(f.note);
    } else if (f.type === "typing" && samePerson) {
      showTyping(Boolean(f.typing));
    } else if (f.type === "read" && samePerson) {
      state.readWatermark = Math.max(state.readWatermark || 0, Number(f.watermark) || 0);
      renderSeen();
    } else if (f.type === "satisfaction") {
      if (SUPERVISOR) loadMetrics().catch(() => {});
    }
  }

  // ---- start -----------------------------------------------------------------------------
  async function start() {
    try {
      T = await (await fetch(`/static/i18n/inbox.${LOCALE}.json`)).json();
    } catch (e) {
      T = {};
    }
    $("#reply").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const input = $("#reply-text");
      const text = input.value.trim();
      if (!text || !state.current) return;
      input.value = "";
      state.myTypingAt = 0;
      act("typing", { typing: false });
      act("reply", { text });
    });
    $("#reply-text").addEventListener("input", () => {
      if (!state.current || Date.now() - state.myTypingAt < 3000) return;
      state.myTypingAt = Date.now();
      act("typing", { typing: true });
    });
    $("#note").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("#note-text").value.trim();
      if (!text || !state.current) return;
      $("#note-text").value = "";
      act("note", { text });
    });
    $("#assign-me").addEventListener("click", () => act("assign", {}).then(refreshCurrent));
    $("#hand-back").addEventListener("click", () => act("hand_back").then(refreshCurrent));
    $("#close").addEventListener("click", () => act("close").then(refreshCurrent));
    $("#back").addEventListener("click", () => showView("queue"));
    $("#to-side").addEventListener("click", () => showView("side"));
    $("#to-talk").addEventListener("click", () => showView("talk"));
    $("#show-context").addEventListener("click", () => {
      if (!state.current) return;
      api("POST", `/conversations/${state.current}/context`).then(renderContext).catch(showError);
    });
    const cannedForm = $("#canned-form");
    if (cannedForm) {
      cannedForm.addEventListener("submit", (ev) => {
        ev.preventDefault();
        api("POST", "/canned", { title: $("#canned-title").value, text: $("#canned-text").value })
          .then(() => {
            $("#canned-title").value = "";
            $("#canned-text").value = "";
            return loadCanned();
          })
          .catch(showError);
      });
    }
    connect();
    await Promise.all([loadQueue(), loadCanned(), loadAgents(), loadMetrics()]).catch(showError);
    setInterval(renderQueue, 15000); // keep the waiting times fresh
  }

  start();
})();
