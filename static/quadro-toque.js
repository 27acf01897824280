// Every tap answers. While a card's request is in flight its form is marked busy (htmx adds
// "htmx-request"; hx-disable disables its button). Then: a moved card takes the focus and, on a
// one-column (portrait) screen, the view follows it to its new column or a toast offers to go
// there; a network failure or a server error says on the card that nothing was saved, with a
// button to try again. A refusal (409, 400) comes back from the server as the card with its
// reason, who was faster and when, and the typed text kept in its form.
(function () {
  "use strict";

  const umaColuna = () => window.matchMedia("(max-width: 900px)").matches;

  function cartaoDe(elemento) {
    return elemento && elemento.closest ? elemento.closest("li.cartao") : null;
  }

  function anunciar(texto) {
    const regiao = document.getElementById("anuncios");
    if (regiao) regiao.textContent = texto;
  }

  function colunaVisivel() {
    const colunas = document.getElementById("quadro");
    if (!colunas) return null;
    const largura = colunas.clientWidth || 1;
    const indice = Math.round(colunas.scrollLeft / largura);
    return colunas.children[indice] || null;
  }

  function marcarAba(status) {
    for (const aba of document.querySelectorAll(".abas a")) {
      if (aba.dataset.status === status) aba.setAttribute("aria-current", "true");
      else aba.removeAttribute("aria-current");
    }
  }

  function irPara(coluna) {
    coluna.scrollIntoView({ block: "nearest", inline: "start" });
    marcarAba(coluna.dataset.status);
  }

  // A button inside a message (a toast, a "not saved" notice) that does one thing.
  function botao(texto, aoTocar) {
    const elemento = document.createElement("button");
    elemento.type = "button";
    elemento.className = "botao";
    elemento.textContent = texto;
    elemento.addEventListener("click", aoTocar);
    return elemento;
  }

  function toast(texto, coluna, id) {
    const area = document.getElementById("toasts");
    if (!area) return;
    const caixa = document.createElement("div");
    caixa.className = "toast";
    caixa.setAttribute("role", "status");
    caixa.textContent = texto + " ";
    caixa.appendChild(botao("Ver", () => {
      irPara(coluna);
      const cartao = document.getElementById(id);
      if (cartao) cartao.focus();
      caixa.remove();
    }));
    area.replaceChildren(caixa);
    setTimeout(() => caixa.remove(), 8000);
  }

  // After the answer: the card where it is now (same id), focused; the view follows it. A form
  // the answer opened (a dropped card whose step needs text) gets the focus instead.
  function seguir(id, statusAntes) {
    const cartao = document.getElementById(id);
    if (!cartao) return;
    const campo = cartao.querySelector("details[open] textarea");
    if (campo) {
      campo.focus();
      return;
    }
    const coluna = cartao.closest(".coluna");
    if (coluna && cartao.dataset.status !== statusAntes && umaColuna()
        && colunaVisivel() !== coluna) {
      const titulo = coluna.dataset.titulo || cartao.dataset.status;
      toast(`OS ${cartao.dataset.os} foi para ${titulo}.`, coluna, id);
      irPara(coluna);
    }
    if (!cartao.contains(document.activeElement)) cartao.focus({ preventScroll: true });
    cartao.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  // Nothing was saved: say so on the card, with the same request one tap away.
  function falhou(form, texto) {
    const cartao = cartaoDe(form);
    const lugar = cartao || form.parentElement;
    if (!lugar) return;
    let aviso = lugar.querySelector(".nao-salvo");
    if (!aviso) {
      aviso = document.createElement("p");
      aviso.className = "mensagem nao-salvo";
      aviso.setAttribute("role", "alert");
      lugar.appendChild(aviso);
    }
    aviso.textContent = texto + " ";
    aviso.appendChild(botao("Tentar de novo", () => {
      aviso.remove();
      form.requestSubmit();
    }));
    anunciar(texto);
  }

  const emAndamento = new WeakMap(); // source -> {id, status, no} of its card when it was sent

  document.addEventListener("htmx:before:request", (evento) => {
    const fonte = evento.detail && evento.detail.ctx && evento.detail.ctx.sourceElement;
    if (!fonte || !fonte.matches || !fonte.matches("form, li.cartao")) return;
    const cartao = cartaoDe(fonte);
    const aviso = cartao && cartao.querySelector(".nao-salvo");
    if (aviso) aviso.remove();
    if (cartao) emAndamento.set(fonte, { id: cartao.id, status: cartao.dataset.status, no: cartao });
  });

  function formDe(evento) {
    const ctx = evento.detail && evento.detail.ctx;
    const fonte = (ctx && ctx.sourceElement) || evento.target;
    return fonte && fonte.closest ? fonte.closest("form") : null;
  }

  document.addEventListener("htmx:error", (evento) => {
    const form = formDe(evento);
    if (form) falhou(form, "Sem conexão — não foi salvo.");
  });

  // The answer arrived (its partials are swapped right after, and the old card, the request's
  // source, leaves the page, so no later event of it reaches here): follow the card once its
  // new version is in place.
  document.addEventListener("htmx:after:request", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const fonte = ctx && ctx.sourceElement;
    const antes = fonte && emAndamento.get(fonte);
    if (!antes) return;
    emAndamento.delete(fonte);
    const status = ctx.response && ctx.response.status;
    if (status >= 500) {
      falhou(fonte.closest("form") || fonte, "Erro no servidor — não foi salvo.");
      return;
    }
    // A push may replace the card before this answer does: follow whichever version is on
    // the page, for a short while, so the focus ends on the one that stays.
    const limite = performance.now() + 1500;
    let seguido = antes.no;
    const esperar = () => {
      const atual = document.getElementById(antes.id);
      if (atual && atual !== seguido) {
        seguido = atual;
        seguir(antes.id, antes.status);
      }
      if (performance.now() < limite) requestAnimationFrame(esperar);
    };
    requestAnimationFrame(esperar);
  });

  // Portrait tablet: the tab of the column in view is marked as the current one.
  const colunas = document.getElementById("quadro");
  if (colunas) {
    let agendado = false;
    colunas.addEventListener("scroll", () => {
      if (agendado) return;
      agendado = true;
      requestAnimationFrame(() => {
        agendado = false;
        const coluna = colunaVisivel();
        if (coluna) marcarAba(coluna.dataset.status);
      });
    }, { passive: true });
  }
  for (const aba of document.querySelectorAll(".abas a")) {
    aba.addEventListener("click", (evento) => {
      const coluna = document.getElementById(`coluna-${aba.dataset.status}`);
      if (!coluna) return;
      evento.preventDefault();
      irPara(coluna);
    });
  }

  document.addEventListener("click", (evento) => {
    const fechar = evento.target.closest && evento.target.closest(".fechar-toast");
    if (fechar) fechar.closest(".toast").remove();
  });
})();
