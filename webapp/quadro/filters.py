"""The board's filters ("Minhas ordens" and the search box), read from a URL and matched
against a changed item (a pushed card belongs on this board or not)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs

from ..fila.domain import Acao
from ..fila.plates import gemea, normalizar_placa
from ..fila.queries import filtro_busca, os_da_busca
from ..mongo import inteiro_guardavel
from ..urls import partes

TAMANHO_BUSCA = 40


@dataclass(frozen=True)
class Filtros:
    mecanico: int | None = None  # a mechanic's funcionario_id
    q: str = ""  # part of a plate, or an OS number
    # The search box's maxlength (a filter's text, cut here anyway: unlike a form's field,
    # nothing typed is lost by it).
    TAMANHO_BUSCA: ClassVar[int] = TAMANHO_BUSCA

    @classmethod
    def de_args(cls, args: Any) -> Filtros:
        mecanico = args.get("mecanico", "")
        q = (args.get("q") or "").strip()[:TAMANHO_BUSCA]
        return cls(inteiro_guardavel(mecanico), q)

    @classmethod
    def de_url(cls, url: str | None) -> Filtros:
        """The filters of the page that sent an htmx request (its HX-Current-URL)."""
        divididas = partes(url) if url else None
        if divididas is None:
            return cls()
        valores = {k: v[0] for k, v in parse_qs(divididas.query).items()}
        return cls.de_args(valores)

    def consulta(self) -> dict[str, Any]:
        return filtro_busca(self.mecanico, self.q)

    def aceita(self, item: dict[str, Any]) -> bool:
        if self.mecanico is not None and item.get("mecanico_responsavel_id") != self.mecanico:
            return False
        if self.q:
            placa = normalizar_placa(self.q) or "\0"
            # As filtro_busca: a part of the plate, or the whole one's twin (plates.gemea).
            na_placa = placa in (item.get("placa") or "") or (
                item.get("placa") is not None and item.get("placa") == gemea(placa)
            )
            numero = os_da_busca(self.q)
            na_os = numero is not None and item.get("ordem_servico_id") == numero
            return bool(na_placa or na_os)
        return True

    def tirou(self, item: Mapping[str, Any]) -> bool:
        """Whether the item's last change took it off this mechanic's board (given to another
        mechanic): said there too ("Ana atribuiu a OS 1003 a Paula"), or it leaves
        unexplained."""
        ultimo = (item.get("historico") or [{}])[-1]
        return (
            self.mecanico is not None
            and ultimo.get("acao") == Acao.ATRIBUIR
            and ultimo.get("de") == self.mecanico
        )

    def args(self) -> dict[str, str]:
        args = {}
        if self.mecanico is not None:
            args["mecanico"] = str(self.mecanico)
        if self.q:
            args["q"] = self.q
        return args
