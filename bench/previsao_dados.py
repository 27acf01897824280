"""The forecast benchmark's files and the adapters to the forecast's plain data.

- The history of finished orders as exactly the CSV the indicators export
  (webapp/indicadores/export.py writes it; `escrever_historico`), and read back
  (`ler_historico`): what the app's importer will read.
- The snapshots of open orders (`fotos.json`): for each instant, the mechanics at work and each
  open order as the app stores it, with when it really finished, plus the shop's calendar
  settings; what a run through the real app loads, one snapshot at a time.
- `registro_aberto`: a stored queue item as the forecast's record (priority rank, holds per stage
  in the forecast's order).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.oficina_simulada import Simulador
from webapp.fila import labels
from webapp.fila.domain import Prioridade
from webapp.fila.stages import INTERVALOS, Etapa
from webapp.indicadores import export
from webapp.previsao.domain import ETAPAS, MARCOS, Historico

# The export's intervals, in the forecast's stage order (the same order, checked here).
_INTERVALOS_DAS_ETAPAS = INTERVALOS[: len(ETAPAS)]
assert tuple(i.codigo for i in _INTERVALOS_DAS_ETAPAS) == ETAPAS
_ROTULO_PRIORIDADE = {
    rotulo: Prioridade(codigo).ordem for codigo, rotulo in labels.PRIORIDADES.items()
}


# --- The history, as the indicators' CSV ---------------------------------------------------------


def documentos_finalizados(simulador: Simulador, ate: datetime) -> Iterable[dict[str, Any]]:
    """The finished orders as the export's query gives them: the item's fields and `d`, each
    interval's seconds with the holds of its stages taken out."""
    for ordem in simulador.finalizadas_ate(ate):
        doc = simulador.documento(ordem)
        pausas = doc["pausas_s"]
        d = {}
        for intervalo in INTERVALOS:
            inicio, fim = doc.get(intervalo.inicio), doc.get(intervalo.fim)
            if inicio and fim:
                segurado = sum(pausas.get(str(e), 0.0) for e in intervalo.etapas)
                d[intervalo.codigo] = max(0.0, (fim - inicio).total_seconds() - segurado)
        yield {**doc, "placa": f"SIM{ordem.os % 10000:04d}", "veiculo": "Simulado",
               "cliente": f"Cliente {ordem.os}", "d": d}  # fmt: skip


def escrever_historico(
    caminho: Path, documentos: Iterable[Mapping[str, Any]], nomes: Mapping[int, str], fuso: str
) -> int:
    """The CSV the indicators export, byte for byte (export.csv_em_partes; `nomes`: the
    mechanics' names by id); the number of rows."""
    lista = list(documentos)
    with open(caminho, "w", encoding="utf-8", newline="") as arquivo:
        for parte in export.csv_em_partes(lista, nomes, ZoneInfo(fuso)):
            arquivo.write(parte)
    return len(lista)


def _data(texto: str, fuso: ZoneInfo) -> float | None:
    if not texto:
        return None
    return datetime.strptime(texto, "%d/%m/%Y %H:%M").replace(tzinfo=fuso).timestamp()


def ler_historico(caminho: Path, fuso: str) -> Historico:
    """The export's CSV as the forecast's history: the priority's rank, the instants, and each
    stage's seconds on hold (its wall-clock span minus the export's minutes, which exclude
    them)."""
    zona = ZoneInfo(fuso)
    texto = caminho.read_text("utf-8").removeprefix(export.BOM)
    leitor = csv.reader(io.StringIO(texto), delimiter=export.SEPARADOR)
    cabecalho = next(leitor)
    assert cabecalho == export.CABECALHO, "not the indicators' export"
    coluna = {nome: i for i, nome in enumerate(cabecalho)}
    por_campo = {campo: nome for nome, campo in export.DATAS}
    minutos = [f"{labels.INTERVALOS[i.codigo]} (min)" for i in _INTERVALOS_DAS_ETAPAS]
    registros = []
    for linha in leitor:
        instantes = {m: _data(linha[coluna[por_campo[m]]], zona) for m in MARCOS}
        pausas = []
        for k, nome in enumerate(minutos):
            ini, fim = instantes[MARCOS[k]], instantes[MARCOS[k + 1]]
            valor = linha[coluna[nome]].replace(",", ".")
            if ini is None or fim is None or not valor:
                pausas.append(0.0)
            else:
                pausas.append(max(0.0, (fim - ini) - float(valor) * 60))
        registros.append({
            "prioridade": _ROTULO_PRIORIDADE[linha[coluna["Prioridade"]]],
            **instantes,
            "pausas": pausas,
        })  # fmt: skip
    return Historico.de_registros(registros)


def recortar_historico(
    origem: Path, destino: Path, depois_de: datetime | None, ate: datetime, fuso: str
) -> int:
    """The lines of an export (`origem`) whose order ended in (depois_de, ate], written as they
    are under the same header to `destino`: what the shop finished between two snapshots, for
    the importer. The number of lines."""
    zona = ZoneInfo(fuso)
    linhas = origem.read_bytes().decode("utf-8").splitlines(keepends=True)
    cabecalho = next(csv.reader([linhas[0].removeprefix(export.BOM)], delimiter=export.SEPARADOR))
    coluna = cabecalho.index({campo: nome for nome, campo in export.DATAS}[MARCOS[-1]])
    inicio, fim = (depois_de.timestamp() if depois_de else float("-inf")), ate.timestamp()
    escolhidas = []
    for linha in linhas[1:]:
        campos = next(csv.reader([linha], delimiter=export.SEPARADOR))
        quando = _data(campos[coluna], zona)
        if quando is not None and inicio < quando <= fim:
            escolhidas.append(linha)
    destino.write_bytes((linhas[0] + "".join(escolhidas)).encode("utf-8"))
    return len(escolhidas)


def sem_mecanicos(caminho: Path) -> None:
    """The export rewritten in place with its `Mecânico` column empty: a spreadsheet's
    history, which names no mechanic (`make bench-previsao` with --sem-nomes)."""
    texto = caminho.read_text("utf-8").removeprefix(export.BOM)
    linhas = list(csv.reader(io.StringIO(texto, newline=""), delimiter=export.SEPARADOR))
    coluna = linhas[0].index("Mecânico")
    for linha in linhas[1:]:
        linha[coluna] = ""
    saida = io.StringIO()
    csv.writer(saida, delimiter=export.SEPARADOR, lineterminator="\r\n").writerows(linhas)
    caminho.write_text(export.BOM + saida.getvalue(), "utf-8")


# --- The snapshots ---------------------------------------------------------------------------


def _json(valor: Any) -> Any:
    if isinstance(valor, datetime):
        return valor.isoformat()
    raise TypeError(type(valor))


def escrever_fotos(caminho: Path, simulador: Simulador, calendario: Mapping[str, str]) -> None:
    """Each snapshot's open orders as stored, with when each really finished and its holds
    one by one (`esperas`: what puts it on hold and back in the real app); the shop's
    calendar settings and its mechanics (`equipe`: id -> name, the CSV's names)."""
    fotos = []
    for foto in simulador.fotos:
        ordens = [
            {
                **doc,
                "finalizada_em": simulador.finalizada_em(doc["ordem_servico_id"]),
                "esperas": simulador.esperas(doc["ordem_servico_id"], foto["instante"]),
            }
            for doc in foto["ordens"]
        ]
        fotos.append({**foto, "ordens": ordens})
    conteudo = {"calendario": dict(calendario), "equipe": simulador.p.nomes, "fotos": fotos}
    caminho.write_text(json.dumps(conteudo, default=_json, ensure_ascii=False, indent=1), "utf-8")


_CAMPOS_DATA = (*MARCOS, "previsao_entrega", "finalizada_em", "instante", "desde", "ate")


def _datas(valor: Any) -> Any:
    if isinstance(valor, dict):
        return {
            k: (datetime.fromisoformat(v) if k in _CAMPOS_DATA and v else _datas(v))
            for k, v in valor.items()
        }
    if isinstance(valor, list):
        return [_datas(v) for v in valor]
    return valor


def ler_fotos(caminho: Path) -> dict[str, Any]:
    """{"calendario": {...}, "equipe": {id: name}, "fotos": [{"instante", "mecanicos",
    "ordens": [...]}]}, with datetimes (UTC) where the app keeps them."""
    conteudo = _datas(json.loads(caminho.read_text("utf-8")))
    conteudo["equipe"] = {int(k): v for k, v in conteudo.get("equipe", {}).items()}
    return conteudo


def registro_aberto(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A stored queue item as the forecast's record of an open order."""
    pausas = doc.get("pausas_s") or {}
    pausa = doc.get("pausa")
    return {
        **doc,
        "prioridade": Prioridade(doc["prioridade"]).ordem,
        "pausas": [pausas.get(str(e), 0.0) for e in Etapa],
        "pausa_desde": pausa["desde"] if pausa else None,
    }
