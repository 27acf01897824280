// Every tap answers. While a card's request is in flight its form is marked busy (htmx adds
// "htmx-request"; hx-disable disables its button). Then the moved card takes the focus and, on
// a one-column (portrait) screen, the view follows it to its new column; only when the person
// has moved on meanwhile (another column, another field) does a toast say where it went,
// over the column tabs, never over a card. A refusal (409, 400) comes back from the server as
// the card with its reason, who was faster and when, and the typed text kept in its form: the
// view follows it the same way, and a toast, if any, says it was not saved. A network failure
// or a server error says on the card that nothing was saved, with a button to try again.
// Also here: a step that needs text opens its form within the tap, with the text box focused
// (so a tablet's keyboard comes up), and "Mais…" toggles.
(function () {
  "use strict";

  const umaColuna = () => window.matchMedia("(max-width: 900px)").matches;
  const DURACAO_TOAST = 8000;

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

  // The columns stand side by side, each as tall as the tallest: far down a long one, another
  // showed only its empty lower part. A column chosen (its tab, a toast's "Ver") is shown
  // from its top, under the sticky tabs (html's scroll-padding-top), when the page was
  // scrolled past it; and it is kept in the address (#coluna-…), so that Back from an
  // order's page, or a reload, comes back to it.
  function irPara(coluna) {
    const abaixoDoTopo = coluna.getBoundingClientRect().top < 0;
    coluna.scrollIntoView({ block: abaixoDoTopo ? "start" : "nearest", inline: "start" });
    marcarAba(coluna.dataset.status);
    lembrarColuna(coluna);
  }

  function lembrarColuna(coluna) {
    const marca = `#${coluna.id}`;
    if (!umaColuna() || location.hash === marca) return;
    history.replaceState(history.state, "", `${location.pathname}${location.search}${marca}`);
  }

  // Following a card after its answer moves the view (to its new column, up the page to its
  // place there): a double tap's second tap, already on its way, landed on whatever came under
  // the finger: the next car's "Iniciar diagnóstico", a plate's link to its page. For a moment
  // after such a jump, a tap where the last one was, the view still where the jump left it, is
  // dropped; a tap elsewhere (on what the jump showed), or after the person scrolled, acts, and
  // so does a keyboard's Enter (on the focus, which the jump put on the card). quadro-vaga.js
  // covers the cards sliding up under a finger that stays.
  const GUARDA_MS = 1500; // by the tap's own time: a busy tablet runs its handler later
  const DEDO_PX = 40; // a second tap lands this close to the first
  let ultimoToque = { x: NaN, y: NaN };
  let salto = { em: -Infinity, x: NaN, y: NaN, vista: "" };

  document.addEventListener("pointerdown", (evento) => {
    ultimoToque = { x: evento.clientX, y: evento.clientY };
  }, true);

  function posicaoDaVista() {
    const colunas = document.getElementById("quadro");
    return `${window.scrollX},${window.scrollY},${colunas ? colunas.scrollLeft : 0}`;
  }

  function seguindo(mover) {
    const antes = posicaoDaVista();
    mover();
    const depois = posicaoDaVista();
    if (depois !== antes) salto = { em: performance.now(), ...ultimoToque, vista: depois };
  }

  document.addEventListener("click", (evento) => {
    if (evento.detail === 0 || evento.timeStamp - salto.em >= GUARDA_MS) return;
    if (Math.hypot(evento.clientX - salto.x, evento.clientY - salto.y) > DEDO_PX) return;
    if (posicaoDaVista() !== salto.vista) return; // scrolled since: aimed at what it shows
    evento.preventDefault();
    evento.stopImmediatePropagation();
  }, true);

  // A button inside a message (a toast, a "not saved" notice) that does one thing.
  function botao(texto, aoTocar, rotulo) {
    const elemento = document.createElement("button");
    elemento.type = "button";
    elemento.className = "botao";
    elemento.textContent = texto;
    if (rotulo) elemento.setAttribute("aria-label", rotulo);
    elemento.addEventListener("click", aoTocar);
    return elemento;
  }

  // Over the column tabs (#toasts lies on them, one line high): it hides no card. Not a live
  // region: #anuncios has said the change already (a screen reader would hear it twice). It
  // stays while a finger, the pointer or the focus is on it; closed with the focus inside, it
  // gives the focus back to where it came from (never to <body>).
  function toast(texto, coluna, id, recusa) {
    const area = document.getElementById("toasts");
    if (!area) return;
    const caixa = document.createElement("div");
    caixa.className = recusa ? "toast toast-recusa" : "toast";
    let deOnde = null;
    caixa.addEventListener("focusin", (evento) => {
      const antes = evento.relatedTarget;
      if (antes && !caixa.contains(antes)) deOnde = antes;
    });
    const fechar = () => {
      const comFoco = caixa.contains(document.activeElement);
      caixa.remove();
      if (!comFoco) return;
      const aba = document.querySelector(".abas a[aria-current]");
      const volta = deOnde && deOnde.isConnected ? deOnde : aba || document.getElementById(id);
      if (volta) volta.focus({ preventScroll: true });
    };
    const frase = document.createElement("span");
    frase.className = "toast-texto";
    frase.textContent = texto;
    // "Ver" takes to the card; a card gone from the page (removed) has nothing to see.
    const ver = id && botao("Ver", () => {
      const cartao = document.getElementById(id);
      seguindo(() => {
        irPara(coluna);
        if (cartao) cartao.scrollIntoView({ block: "nearest", inline: "nearest" });
      });
      if (cartao) cartao.focus({ preventScroll: true });
      caixa.remove();
    });
    caixa.append(...[frase, ver, botao("×", fechar, "Fechar aviso")].filter(Boolean));
    area.replaceChildren(caixa);
    const expirar = () => {
      if (!caixa.isConnected) return;
      if (caixa.contains(document.activeElement) || caixa.matches(":hover")) {
        setTimeout(expirar, DURACAO_TOAST);
      } else {
        fechar();
      }
    };
    setTimeout(expirar, DURACAO_TOAST);
  }

  // Whether the person went on to something else while the answer was on its way: another
  // column in view, or the focus on another field or button (not on the card, nor nowhere, as
  // when the tapped node left the page).
  function foiAdiante(cartao, antes) {
    if (antes.coluna && colunaVisivel() !== antes.coluna) return true;
    const foco = document.activeElement;
    return !!(foco && foco !== document.body && !cartao.contains(foco));
  }

  // After the answer: the card where it is now (same id). `antes`: what was on screen when the
  // request left ({status, coluna}); `recusa`: the answer refused the change.
  function seguir(id, antes, recusa) {
    const cartao = document.getElementById(id);
    if (!cartao) return;
    // Text the answer could not save is offered to copy, with the focus (#textos-perdidos).
    const foco = document.activeElement;
    if (foco && foco.closest && foco.closest(".texto-perdido")) return;
    // A form the answer opened (a refusal, a dropped card whose step needs text) takes the focus.
    const campo = cartao.querySelector("[autofocus]");
    if (campo) {
      campo.focus();
      return;
    }
    const coluna = cartao.closest(".coluna");
    const adiante = foiAdiante(cartao, antes);
    if (coluna && cartao.dataset.status !== antes.status && umaColuna()
        && colunaVisivel() !== coluna) {
      if (adiante) {
        const titulo = coluna.dataset.titulo || cartao.dataset.status;
        // A refusal's toast leads with who was faster (the whole reason is on the card).
        const motivo = cartao.querySelector(".mensagem");
        const porque = motivo ? motivo.dataset.quemFez || motivo.textContent.trim() : "";
        const texto = recusa
          ? `Não salvo · OS ${cartao.dataset.os}: ${porque}`
          : `OS ${cartao.dataset.os} foi para ${titulo}.`;
        toast(texto, coluna, id, recusa);
        return;
      }
      seguindo(() => irPara(coluna));
      antes.coluna = coluna; // followed: a later version of the card is still in view
    }
    if (adiante) return;
    if (!cartao.contains(document.activeElement)) cartao.focus({ preventScroll: true });
    seguindo(() => cartao.scrollIntoView({ block: "nearest", inline: "nearest" }));
  }

  // Nothing was saved, or nothing came: say so where it was tapped, with the same request one
  // tap away.
  function falhou(fonte, texto, semResposta = false) {
    const foco = document.activeElement;
    const cartao = cartaoDe(fonte);
    const lugar = cartao || fonte.parentElement;
    if (!lugar) return;
    let aviso = lugar.querySelector(".nao-salvo");
    if (!aviso) {
      aviso = document.createElement(lugar.matches("p") ? "span" : "p"); // "Mostrar mais"'s
      aviso.className = "mensagem nao-salvo";
      // A step's text form: right under its confirm button, where the eye and the finger
      // are (at the card's foot it sat below "Mais…", out of a tablet's view).
      if (cartao && fonte.matches("form.form-texto")) fonte.after(aviso);
      else lugar.appendChild(aviso);
    }
    aviso.textContent = texto + " ";
    // A change whose answer was lost (the card's newer version then says more: quadro-ao-vivo).
    aviso.toggleAttribute("data-sem-resposta", semResposta);
    // Named with its order, as the card's own steps are: a screen reader lists several.
    const os = cartao && cartao.dataset.os;
    const denovo = botao("Tentar de novo", () => {
      aviso.remove();
      if (fonte.matches("form")) fonte.requestSubmit();
      else if (typeof fonte.reenviar === "function") fonte.reenviar(); // a dropped card
      else fonte.click();
    }, os ? `Tentar de novo: OS ${os}` : undefined);
    aviso.appendChild(denovo);
    // Said once (#anuncios, not also a second live region here), and the way to try again
    // has the focus, as the tapped button had (a keyboard is not left on <body>); never taken
    // from elsewhere (a "Mostrar mais" that failed as it came into view, under a text box).
    anunciar(texto);
    if (!foco || foco === document.body || !foco.isConnected || fonte.contains(foco)) {
      denovo.focus({ preventScroll: true });
    }
  }

  // A card's notices of its last tap ("not saved", "changed after"): a new tap's answer tells.
  // A change sent (`envio`) takes the server's reason and the fields it marked too: a
  // "Corrija o campo marcado" left beside a box now filled, above a "Sem conexão", told two
  // things, one of them no longer true. Opening "Mais…" leaves them to read.
  function semAvisos(cartao, envio = false) {
    const velhos = envio
      ? ".nao-salvo, .sem-resposta, :scope > p.mensagem[data-some], .erro-campo"
      : ".nao-salvo, .sem-resposta";
    for (const aviso of cartao.querySelectorAll(velhos)) aviso.remove();
    if (!envio) return;
    for (const campo of cartao.querySelectorAll("[aria-invalid]")) {
      campo.removeAttribute("aria-invalid");
      if ((campo.getAttribute("aria-describedby") || "").startsWith("erro-")) {
        campo.removeAttribute("aria-describedby");
      }
    }
    for (const campo of cartao.querySelectorAll(".com-erro")) campo.classList.remove("com-erro");
  }

  const emAndamento = new WeakMap(); // source -> {id, status, coluna, no, vizinhos} when sent
  // A card whose change got no answer -> its version then (MUDOU_DEPOIS, below).
  const semResposta = new Map();

  // The card removed had the keyboard's focus (its confirm button): the focus goes to the card
  // that was after it, or before it, not to <body>, unless it went somewhere meanwhile.
  function aoLado(ids) {
    const foco = document.activeElement;
    if (foco && foco !== document.body && foco.isConnected) return;
    const vizinho = ids.map((id) => document.getElementById(id)).find(Boolean);
    if (!vizinho) return;
    vizinho.focus({ preventScroll: true });
    // In view, as a keyboard's focus must be (the neighbour may sit above the screen).
    seguindo(() => vizinho.scrollIntoView({ block: "nearest", inline: "nearest" }));
  }

  document.addEventListener("htmx:before:request", (evento) => {
    const fonte = evento.detail && evento.detail.ctx && evento.detail.ctx.sourceElement;
    if (!fonte || !fonte.matches || !fonte.matches("form, li.cartao, a.mais")) return;
    const cartao = cartaoDe(fonte);
    if (cartao) {
      semAvisos(cartao, !fonte.matches("a.mais"));
      semResposta.delete(cartao.id); // tried again: this answer tells
    }
    if (cartao && !fonte.matches("a.mais")) {
      emAndamento.set(fonte, {
        id: cartao.id,
        status: cartao.dataset.status,
        // The newest version this page knew of then, shown or kept back (data-versao-nova):
        // only a later one changed the order after the tap.
        conhecida: Math.max(versao(cartao), versaoNova(cartao)),
        coluna: umaColuna() ? colunaVisivel() : null,
        no: cartao,
        // A removal takes the card off the page, and so does a refusal of an order removed
        // meanwhile: the keyboard goes on from a neighbour.
        vizinhos: [cartao.nextElementSibling, cartao.previousElementSibling]
          .filter((e) => e && e.id).map((e) => e.id),
        removendo: fonte.matches('form[action$="/remover"]'),
      });
    }
  });

  function fonteDe(evento) {
    const ctx = evento.detail && evento.detail.ctx;
    const fonte = (ctx && ctx.sourceElement) || evento.target;
    if (!fonte || !fonte.closest) return null;
    if (fonte.matches("li.cartao")) return fonte; // a drop (quadro-arrastar.js) sends the card
    return fonte.closest("form") || fonte.closest("a.mais, .mostrar-mais > a");
  }

  // A change whose answer was lost while a push brought a newer version of its card (the
  // step was most likely saved, or someone else's change came first): the card as it is now
  // says so, instead of "pode não ter sido salvo" beside a card that plainly moved, on a
  // node the push had already taken off the page. The push may come after the failure too:
  // the first newer version of that card to come in says it then.
  const MUDOU_DEPOIS = "A resposta não chegou, mas a OS já mudou depois do seu toque: "
    + "confira o cartão.";
  // The same with text still in the card's form (a push does not take a card someone is
  // writing on, quadro-ao-vivo.js: it leaves the newer version's number, data-versao-nova):
  // the text may or may not be what was saved, and trying again tells ("Já estava salvo").
  const MUDOU_COM_TEXTO = "Sem conexão — a resposta não chegou, e a OS mudou depois do seu "
    + "toque. “Tentar de novo” diz se já estava salvo.";
  function versao(cartao) {
    return Number(cartao.dataset.versao) || 0;
  }
  function versaoNova(cartao) {
    return Number(cartao.dataset.versaoNova) || 0; // "Infinity": it left this board
  }
  function mudouDepois(cartao) {
    semResposta.delete(cartao.id);
    semAvisos(cartao);
    const aviso = document.createElement("p");
    aviso.className = "mensagem sem-resposta"; // no "Tentar de novo": the change is there
    aviso.textContent = MUDOU_DEPOIS;
    cartao.appendChild(aviso);
    anunciar(MUDOU_DEPOIS);
    // On a tablet's one column, the push took the card to another one, out of sight: a toast
    // with "Ver" says where, as for an answer that came (the notice waits on the card).
    const coluna = cartao.closest(".coluna");
    if (coluna && umaColuna() && colunaVisivel() !== coluna) {
      const titulo = coluna.dataset.titulo || cartao.dataset.status;
      toast(`A resposta não chegou · OS ${cartao.dataset.os} foi para ${titulo}.`, coluna,
        cartao.id, false);
    }
  }
  const quadroVivo = document.getElementById("quadro");
  if (quadroVivo) {
    new MutationObserver((registros) => {
      if (!semResposta.size) return;
      for (const registro of registros) {
        // A card kept for its text heard of a newer version: its notice says so.
        const alvo = registro.target;
        if (registro.type === "attributes" && semResposta.has(alvo.id)
            && versaoNova(alvo) > semResposta.get(alvo.id)) {
          const aviso = alvo.querySelector(".nao-salvo");
          if (aviso && aviso.firstChild) {
            aviso.firstChild.textContent = MUDOU_COM_TEXTO + " ";
            anunciar(MUDOU_COM_TEXTO);
          }
          semResposta.delete(alvo.id);
        }
        for (const no of registro.addedNodes) {
          if (no.nodeType !== Node.ELEMENT_NODE || !semResposta.has(no.id)) continue;
          if (versao(no) > semResposta.get(no.id)) mudouDepois(no);
        }
      }
    }).observe(quadroVivo, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["data-versao-nova"],
    });
  }

  document.addEventListener("htmx:error", (evento) => {
    const fonte = fonteDe(evento);
    if (!fonte) return;
    if (fonte.matches("a")) {
      // "Mais…" of a card, or a column's "Mostrar mais" (its answer replaces the notice).
      const proxima = fonte.closest(".mostrar-mais");
      falhou(fonte, proxima ? "Sem conexão — não foi possível carregar mais."
        : "Sem conexão — não foi possível abrir.");
      return;
    }
    const antes = emAndamento.get(fonte);
    if (antes && antes.no.dataset.versao) {
      const atual = document.getElementById(antes.id);
      if (atual && versao(atual) > antes.conhecida) {
        mudouDepois(atual);
        return;
      }
      if (atual && versaoNova(atual) > antes.conhecida) {
        falhou(fonte, MUDOU_COM_TEXTO, true);
        return;
      }
      semResposta.set(antes.id, antes.conhecida);
    }
    falhou(fonte, "Sem conexão — pode não ter sido salvo.", true);
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
      if (!atual && antes.removendo && status < 400) {
        aoLado(antes.vizinhos);
        return;
      }
      if (!atual && status >= 400 && status < 500) {
        // Refused because the order left the queue meanwhile: the card went with the answer,
        // whose reason was only on the page's line, maybe out of view. Said where the person
        // looks, the keyboard on a neighbour; text to copy, when there was some, keeps the
        // focus (#textos-perdidos).
        const foco = document.activeElement;
        if (!(foco && foco.closest && foco.closest(".texto-perdido"))) {
          const linha = document.getElementById("anuncios");
          const porque = linha ? linha.textContent.trim() : "";
          // The reason names the order ("… removeu a OS 1004 …"): not said twice.
          const texto = porque.includes(`OS ${antes.no.dataset.os}`)
            ? `Não salvo: ${porque}` : `Não salvo · OS ${antes.no.dataset.os}: ${porque}`;
          toast(texto, null, null, true);
          aoLado(antes.vizinhos);
        }
        return;
      }
      if (atual && atual !== seguido) {
        seguido = atual;
        seguir(antes.id, antes, status >= 400);
      }
      if (performance.now() < limite) requestAnimationFrame(esperar);
    };
    requestAnimationFrame(esperar);
  });

  // A step that needs text: its button opens the form and puts the focus in the text box
  // within the tap itself (a keyboard opens only for a focus the tap gave). A second tap on
  // it closes the form, as <details> does.
  document.addEventListener("click", (evento) => {
    const resumo = evento.target.closest && evento.target.closest("details.form-passo > summary");
    if (!resumo || resumo.parentElement.open) return;
    evento.preventDefault();
    resumo.parentElement.open = true;
    const campo = resumo.parentElement.querySelector("textarea");
    if (campo) campo.focus();
  });

  // "Mais…" toggles: a second tap empties what the first fetched instead of asking again.
  // aria-expanded follows what the panel shows (also when an answer or a push refills it); it is
  // set here, as the link is a toggle only with JavaScript (without, it opens the order's page):
  // so is its role, a button, which Space works too, and Escape closes its panel (a step's
  // open form: esc-fecha.js, as every open <details>).
  function expandido(mais) {
    const painel = mais.nextElementSibling;
    mais.setAttribute("aria-expanded", painel && painel.childElementCount ? "true" : "false");
  }
  function recolher(mais) {
    const painel = mais.nextElementSibling; // its hx-target, "next"
    if (painel) painel.replaceChildren();
    mais.setAttribute("aria-expanded", "false");
  }
  document.addEventListener("htmx:after:init", (evento) => {
    const mais = evento.target;
    if (!mais.matches || !mais.matches("a.mais")) return;
    mais.setAttribute("role", "button");
    expandido(mais);
  });
  document.addEventListener("htmx:config:request", (evento) => {
    const fonte = evento.detail && evento.detail.ctx && evento.detail.ctx.sourceElement;
    if (!fonte || !fonte.matches || !fonte.matches("a.mais")) return;
    if (fonte.getAttribute("aria-expanded") !== "true") return;
    evento.preventDefault();
    recolher(fonte);
  });
  // Opened by its tap, the panel comes into view: low on the screen, it opened below the
  // fold and the tap seemed to do nothing. Scrolled up only as far as it takes, never past
  // "Mais…" itself (a panel taller than the screen starts under it); as a view that follows
  // a card (seguindo), so a second tap already on its way lands on nothing new.
  const MARGEM_PX = 8;
  function revelar(mais, painel) {
    const fim = painel.getBoundingClientRect().bottom + MARGEM_PX - window.innerHeight;
    const ate = mais.getBoundingClientRect().top - MARGEM_PX;
    const subir = Math.min(fim, ate);
    if (subir > 0) seguindo(() => window.scrollBy(0, subir));
  }
  document.addEventListener("htmx:after:settle", (evento) => {
    const painel = evento.target;
    if (!painel.matches || !painel.matches(".mais-acoes")) return;
    const mais = painel.previousElementSibling;
    if (!mais || !mais.matches("a.mais")) return;
    expandido(mais);
    // htmx 4: a settle's detail has its swap task (what asked for it), not the request's ctx.
    const tarefa = evento.detail && evento.detail.task;
    if (tarefa && tarefa.sourceElement === mais && painel.childElementCount) {
      revelar(mais, painel);
    }
  });
  document.addEventListener("keydown", (evento) => {
    const alvo = evento.target;
    if (!alvo.closest) return;
    if (evento.key === " " && alvo.matches('a.mais[role="button"]')) {
      evento.preventDefault(); // not a scroll of the page
      alvo.click();
      return;
    }
    // A step's open form is esc-fecha.js's, as every open <details> (it has closed it then).
    if (evento.key !== "Escape" || evento.defaultPrevented) return;
    const painel = alvo.closest(".mais-acoes");
    const mais = alvo.matches("a.mais") ? alvo : painel && painel.previousElementSibling;
    if (!mais || !mais.matches("a.mais") || mais.getAttribute("aria-expanded") !== "true") return;
    evento.preventDefault();
    recolher(mais);
    mais.focus();
  });

  // Portrait tablet: the tab of the column in view is marked as the current one. Once a swipe
  // has come to rest (scrollend: never mid-gesture, where a scroll of the page made one swipe
  // skip a column), the column is kept in the address, and one whose cards all lie above the
  // view (the page scrolled far down a longer one) is shown from its top, by the page's
  // vertical scroll alone.
  const colunas = document.getElementById("quadro");
  if (colunas) {
    let agendado = false;
    let vista = colunaVisivel();
    colunas.addEventListener("scroll", () => {
      if (agendado) return;
      agendado = true;
      requestAnimationFrame(() => {
        agendado = false;
        const coluna = colunaVisivel();
        if (coluna) marcarAba(coluna.dataset.status);
      });
    }, { passive: true });
    colunas.addEventListener("scrollend", () => {
      const coluna = colunaVisivel();
      if (!coluna || coluna === vista) return;
      vista = coluna;
      lembrarColuna(coluna);
      // Its last card, or its title when it has none (an empty column said so out of sight).
      const fim = coluna.querySelector(".cartoes > li:last-child")
        || coluna.querySelector(".coluna-titulo") || coluna;
      if (fim.getBoundingClientRect().bottom >= 0) return;
      const folga = parseFloat(getComputedStyle(document.documentElement).scrollPaddingTop) || 0;
      window.scrollBy(0, coluna.getBoundingClientRect().top - folga);
    });
  }
  // A filtered board (a search, "Minhas ordens") opens on the first column with something to
  // show, which the server names: not on an empty "Aguardando" with the match in repair. A
  // column kept in the address (Back from an order's page, a reload) opens on that one, the
  // page's own scroll as the browser restored it.
  const marcada = /^#coluna-([A-Z_]+)$/.exec(location.hash);
  const inicial = marcada ? marcada[1] : colunas && !location.hash && colunas.dataset.colunaInicial;
  if (inicial && umaColuna()) {
    const coluna = document.getElementById(`coluna-${inicial}`);
    if (coluna) {
      coluna.scrollIntoView({ block: "nearest", inline: "start" });
      marcarAba(coluna.dataset.status);
    }
  }
  for (const aba of document.querySelectorAll(".abas a")) {
    aba.addEventListener("click", (evento) => {
      const coluna = document.getElementById(`coluna-${aba.dataset.status}`);
      if (!coluna) return;
      evento.preventDefault();
      irPara(coluna);
    });
  }

  // "Adicionar OS": the answer draws its form again, which left the keyboard on <body>. Added:
  // the new card takes the focus, in view; refused: the first field to fix.
  const SEGUIR_MS = 5000;
  let seguido = null; // {id, ate}: the card just added, kept in view while it grows
  function emVista(alvo) {
    alvo.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  document.addEventListener("htmx:after:swap", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const fonte = ctx && ctx.sourceElement;
    if (!fonte || !fonte.closest || !fonte.closest("#nova-ordem")) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    const achado = /id="(cartao-[0-9a-f]{24})"/.exec(String(ctx.text || ""));
    const alvo = (achado && document.getElementById(achado[1]))
      || document.querySelector("#nova-ordem [aria-invalid=true]")
      || document.querySelector("#nova-ordem > summary");
    if (!alvo) return;
    alvo.focus({ preventScroll: true });
    emVista(alvo);
    seguido = achado ? { id: achado[1], ate: performance.now() + SEGUIR_MS } : null;
  });
  // Its forecast and answer come a moment later, by a push that draws it again taller: at
  // the window's bottom it was cut there. Followed for a few seconds while it keeps the
  // focus, never once the person scrolls or types.
  document.addEventListener("htmx:after:settle", () => {
    if (!seguido) return;
    const cartao = document.getElementById(seguido.id);
    if (performance.now() > seguido.ate) seguido = null;
    else if (cartao && document.activeElement === cartao) emVista(cartao);
  });
  for (const gesto of ["wheel", "touchstart", "keydown"]) {
    document.addEventListener(gesto, () => { seguido = null; }, { passive: true });
  }
})();
