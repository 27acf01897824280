"""Finished orders as a CSV that opens right in Excel set up for Brazil: UTF-8 with a BOM (else
Excel reads it as Windows-1252), `;` between fields (`,` is the decimal mark there), dates as
dd/mm/aaaa hh:mm in the shop's zone, minutes with a decimal comma. Pure: rows in, text out, a
few hundred rows at a time, so a year streams in constant memory.

The columns are a contract (spreadsheets and the forecast import them by position): new ones
are only ever added at the end. The last three, the minutes on hold per reason over the whole
order, came after the interval minutes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from typing import Any

from ..fila import labels
from ..fila.domain import MotivoPausa
from ..fila.stages import INTERVALOS
from ..text import limpar_texto
from .cells import GUARDADOS

BOM = "\ufeff"
SEPARADOR = ";"
LOTE = 200  # rows per chunk sent

# (header, stored field) of the timestamps, in the order of the workflow.
DATAS = (
    ("Entrada na fila", "dta_criacao"),
    ("Início do diagnóstico", "dta_inicio_diagnostico"),
    ("Fim do diagnóstico", "dta_fim_diagnostico"),
    ("Aprovação do orçamento", "dta_aprovacao_orcamento"),
    ("Início do reparo", "dta_inicio_reparo"),
    ("Fim do reparo", "dta_fim_reparo"),
    ("Previsão de entrega", "previsao_entrega"),
)
CABECALHO = [
    "OS", "Placa", "Veículo", "Cliente", "Prioridade", "Mecânico",
    *(nome for nome, _ in DATAS),
    *(f"{labels.INTERVALOS[i.codigo]} (min)" for i in INTERVALOS),
    *(f"Em espera: {labels.MOTIVOS_PAUSA[m.value]} (min)" for m in MotivoPausa),
]  # fmt: skip


def _data(valor: datetime | None, fuso: tzinfo) -> str:
    return valor.astimezone(fuso).strftime("%d/%m/%Y %H:%M") if valor else ""


def _minutos(segundos: float | None) -> str:
    return f"{segundos / 60:.1f}".replace(".", ",") if segundos is not None else ""


def _texto(valor: str | None) -> str:
    """People's text as text, without control characters (stored before they were refused,
    or imported): a leading =, +, - or @ would make Excel run it as a formula, behind a "'"
    (cells.GUARDADOS; a leading "'" too, so the importer's taking one off gives it back)."""
    valor = limpar_texto(valor)
    if not valor:
        return ""
    return "'" + valor if valor[0] in GUARDADOS else valor


def linha(documento: Mapping[str, Any], nomes: Mapping[int, str], fuso: tzinfo) -> list[str]:
    """One finished order: its facts, its timestamps, each interval's minutes (`d`, from the
    query: holds excluded) and its minutes on hold per reason (`e`)."""
    mecanico = documento.get("mecanico_responsavel_id")
    duracoes = documento.get("d") or {}
    esperas = documento.get("e") or {}
    return [
        str(documento["ordem_servico_id"]),
        documento.get("placa") or "",
        _texto(documento.get("veiculo")),
        _texto(documento.get("cliente")),
        labels.PRIORIDADES.get(documento.get("prioridade", ""), documento.get("prioridade", "")),
        _texto(
            nomes.get(mecanico)
            # An imported order's mechanic nobody of the shop is (the name as the file had it).
            or documento.get("mecanico_nome")
            or (labels.mecanico(mecanico, nomes) if mecanico else "")
        ),
        *(_data(documento.get(campo), fuso) for _, campo in DATAS),
        *(_minutos(duracoes.get(i.codigo)) for i in INTERVALOS),
        *(_minutos(esperas.get(m.value, 0.0)) for m in MotivoPausa),
    ]


def csv_em_partes(
    documentos: Iterable[Mapping[str, Any]], nomes: Mapping[int, str], fuso: tzinfo
) -> Iterator[str]:
    """The file in chunks: the BOM and the header, then LOTE rows at a time."""
    buffer = io.StringIO()
    escritor = csv.writer(buffer, delimiter=SEPARADOR, lineterminator="\r\n")
    buffer.write(BOM)
    escritor.writerow(CABECALHO)
    for n, documento in enumerate(documentos, start=1):
        escritor.writerow(linha(documento, nomes, fuso))
        if n % LOTE == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
