"""`flask --app wsgi importar-historico`: finished orders from the CSV /indicadores exports (the
round trip: export, import into an empty database, export again gives the same rows) or from a
shop's minimal spreadsheet CSV; every bad line refused with its number and why, and then nothing
written; a second run changes nothing; an OS of the board is kept as it is; imported orders feed
the indicators and the forecast, never the board, the TV, the API's lists, /historico, the OS
service or the live pushes. Through the real CLI runner and the real mongod."""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from click.testing import Result
from flask import Flask

from tests.helpers import Api, Quadro, cartao_html, consultas_de
from tests.indicadores.dados_indicadores import carregar, carregar_conjunto
from tests.paginas import csrf_de
from webapp.broker import MUDANCA, Broker
from webapp.clock import Clock, agora
from webapp.components import componente
from webapp.configuracoes.repository import ConfiguracoesRepository
from webapp.fila import domain, fields
from webapp.fila.domain import MotivoPausa, Prioridade, Status
from webapp.fila.queries import FilaQueries
from webapp.fila.repository import FilaRepository, OrdemJaNaFila
from webapp.fila.service import FilaService
from webapp.fila.stages import Etapa
from webapp.indicadores import export, service
from webapp.indicadores.domain import Periodo
from webapp.indicadores.reconstruction import ARREDONDAMENTO_S
from webapp.mongo import Mongo
from webapp.previsao.queries import PrevisaoQueries
from webapp.previsao.service import PrevisaoService

# The export's longest period (366 days), up to today: every order of these tests.
ATE = datetime.now(UTC).date() + timedelta(days=1)
TUDO = Periodo("personalizado", ATE - timedelta(days=365), ATE)
MINIMO = (
    "OS;Prioridade;Entrada na fila;Início do diagnóstico;Fim do diagnóstico;"
    "Aprovação do orçamento;Início do reparo;Fim do reparo"
)


def exportado(app: Flask, periodo: Periodo = TUDO) -> str:
    with app.app_context():
        return "".join(service.exportar(periodo))


def linhas(texto: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(texto.removeprefix(export.BOM), newline=""), delimiter=";"))


def importar(app: Flask, caminho: Path, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["importar-historico", str(caminho), *args])


def arquivo(tmp_path: Path, texto: str, codificacao: str = "utf-8") -> Path:
    caminho = tmp_path / "historico.csv"
    caminho.write_bytes(texto.encode(codificacao))
    return caminho


def fila(app: Flask) -> Any:
    return componente(Mongo, app).db["fila_execucao"]


def guardado(app: Flask) -> list[dict[str, Any]]:
    """The queue's documents without their ids (the same orders compare equal)."""
    return sorted(
        ({k: v for k, v in d.items() if k != "_id"} for d in fila(app).find()),
        key=lambda d: d["ordem_servico_id"],
    )


def base_vazia(app: Flask) -> None:
    db = componente(Mongo, app).db
    for nome in ("fila_execucao", "usuarios"):
        db[nome].delete_many({})


def local(app: Flask, instante: datetime) -> str:
    return instante.astimezone(componente(Clock, app).fuso).strftime("%d/%m/%Y %H:%M")


def linha_minima(app: Flask, os_id: int, fim: datetime, prioridade: str = "Normal") -> str:
    """An order of the minimal CSV that entered 3 h before `fim`, each step 30 min after."""
    marcos = [fim - timedelta(minutes=30 * (6 - k)) for k in range(1, 7)]
    return ";".join([str(os_id), prioridade, *(local(app, m) for m in marcos)])


# --- The round trip ---------------------------------------------------------------------------


def aleatorias(app: Flask, n: int, semente: int) -> None:
    """`n` finished orders with instants to the millisecond and holds of every reason in any
    stage, stored as the queue stores them (what the service's steps would leave)."""
    rng = random.Random(semente)
    # Even the longest (five stages of days and holds of up to three) ended before now.
    fim_do_lote = agora() - timedelta(days=25)
    repo = componente(FilaRepository, app)
    for k in range(n):
        inicio = fim_do_lote - timedelta(seconds=rng.uniform(0, 200 * 86400))
        marcos, pausas, motivos = [inicio], {}, {}
        for etapa in Etapa:
            segundos = rng.lognormvariate(math.log(1800), 1.2)
            if etapa is Etapa.PRONTA_PARA_REPARO and rng.random() < 0.3:
                # The OS service started the repair: approval and start at once, no hold.
                marcos.append(marcos[-1])
                continue
            if rng.random() < 0.25:
                espera = rng.choice([rng.uniform(1, 50), rng.uniform(60, 3 * 86400)])
                motivo = rng.choice(list(MotivoPausa)).value
                pausas[etapa.value] = espera
                motivos[etapa.value] = {m.value: 0.0 for m in MotivoPausa} | {motivo: espera}
                segundos += espera
            marcos.append(marcos[-1] + timedelta(seconds=segundos))
        marcos = [fields.como_guardado(m) for m in marcos]
        documento = domain.nova_ordem(
            10_000 + k, rng.choice(list(Prioridade)), "teste", marcos[0],
            {"placa": f"ABC{k % 10}D{k % 100:02d}", "veiculo": rng.choice(["Gol", "=Uno", None]),
             "cliente": f"Cliente {k}", "previsao_entrega": marcos[0] + timedelta(hours=5)},
        )  # fmt: skip
        documento.update(
            status=Status.FINALIZADA, mecanico_responsavel_id=rng.choice([101, 102, 777, None]),
            orcamento_aprovado=True, dta_inicio_diagnostico=marcos[1],
            dta_fim_diagnostico=marcos[2], dta_aprovacao_orcamento=marcos[3],
            dta_inicio_reparo=marcos[4], dta_fim_reparo=marcos[5], etapa_desde=marcos[5],
            pausas_s=pausas, pausas_motivo_s=motivos, historico=[],
        )  # fmt: skip
        repo.inserir(documento)


def test_ida_e_volta_o_mesmo_arquivo(
    app: Flask, gerente: Quadro, usuarios_demo: dict, tmp_path: Path
) -> None:
    """The demo's month (holds by reason, the OS service's repairs) and the indicators' known
    set, plus 300 orders with random seconds and holds: exported through /indicadores,
    imported into an empty database (no people: the mechanics' names are kept as text),
    exported again: the same rows, every figure as it was."""
    carregar_conjunto(app)
    aleatorias(app, 300, semente=7)
    r = gerente.client.get(
        "/indicadores/exportar.csv",
        query_string={"periodo": "personalizado", "de": str(TUDO.de), "ate": str(TUDO.ate)},
    )
    antes = r.data.decode("utf-8")
    assert antes == exportado(app) and len(linhas(antes)) > 300
    base_vazia(app)

    r = importar(app, arquivo(tmp_path, antes))
    assert r.exit_code == 0, r.output
    n = len(linhas(antes)) - 1
    assert f"{n} ordens importadas, 0 já existiam." in r.output
    assert "Formato: exportação de /indicadores." in r.output
    assert "Marcos" in r.output  # a name nobody of this (empty) shop has: kept as text
    assert "horário de funcionamento" not in r.output  # the export's minutes: the wall clock's
    assert "ficam reservados" not in r.output  # the export's numbers are the OS system's own
    depois = exportado(app)
    # The same rows, in the same order of end; orders that ended in the same minute may swap
    # places (the file keeps no seconds to tell them apart).
    fim = export.CABECALHO.index("Fim do reparo")
    assert [linha[fim] for linha in linhas(depois)] == [linha[fim] for linha in linhas(antes)]
    faltam = sorted(map(tuple, linhas(antes))), sorted(map(tuple, linhas(depois)))
    diferentes = [(a, d) for a, d in zip(*faltam, strict=True) if a != d]
    assert not diferentes, diferentes[:3]


def em_horario(app: Flask, uteis: bool) -> tuple[str, list[datetime]]:
    """Five orders in the export's format, each entered on a Monday at 16:00, diagnosed on
    Tuesday from 09:00 to 11:00, approved at 15:00, repaired from Wednesday 10:00 to Thursday
    10:00 with 4 working hours held for parts. `uteis`: the stages' minutes written in the
    shop's working time (a tool that keeps its hours), else on the wall clock, as
    /indicadores exports them. And the instants of the first order."""
    calendario = componente(PrevisaoService, app).calendario
    fuso = componente(Clock, app).fuso
    segunda = datetime.now(fuso).date() - timedelta(days=datetime.now(fuso).weekday() + 28)
    colunas = {c: i for i, c in enumerate(export.CABECALHO)}
    linhas_csv, primeira = [";".join(export.CABECALHO)], []
    for n in range(5):
        dia = datetime.combine(segunda - timedelta(days=7 * n), datetime.min.time(), fuso)
        marcos = [dia + timedelta(days=d, hours=h) for d, h in
                  ((0, 16), (1, 9), (1, 11), (1, 15), (2, 10), (3, 10))]  # fmt: skip
        primeira = primeira or marcos
        pares = list(zip(marcos, marcos[1:], strict=False))
        if uteis:
            minutos = [calendario.uteis_entre(a, b) / 60 for a, b in pares]
        else:
            minutos = [(b - a).total_seconds() / 60 for a, b in pares]
        minutos[-1] = calendario.uteis_entre(marcos[4], marcos[5]) / 60 - 240
        valores = [""] * len(export.CABECALHO)
        valores[colunas["OS"]] = str(500 + n)
        valores[colunas["Prioridade"]] = "Normal"
        for coluna, instante in zip(export.CABECALHO[6:12], marcos, strict=True):
            valores[colunas[coluna]] = instante.strftime("%d/%m/%Y %H:%M")
        for coluna, m in zip(export.CABECALHO[13:18], minutos, strict=True):
            valores[colunas[coluna]] = f"{m:.1f}".replace(".", ",")
        valores[colunas["Do início ao fim (min)"]] = f"{sum(minutos):.1f}".replace(".", ",")
        for coluna in export.CABECALHO[19:]:
            valores[colunas[coluna]] = "240,0" if "peças" in coluna else "0,0"
        linhas_csv.append(";".join(valores))
    return "\n".join(linhas_csv), primeira


def so_em_espera(ordem: dict[str, Any], segundos: float, etapa: Etapa = Etapa.EM_REPARO) -> bool:
    """Held only in its repair (or `etapa`), for `segundos` (within the export's rounding of
    ±3 s)."""
    pausas = {e: s for e, s in ordem["pausas_s"].items() if s}
    return (
        pausas.keys() == {etapa.value}
        and abs(pausas[etapa.value] - segundos) <= 2 * ARREDONDAMENTO_S
    )


def test_minutos_em_horario_de_funcionamento(app: Flask, tmp_path: Path) -> None:
    """A file in the export's format whose stages' minutes are working time: read the
    export's way, every night a stage spans would be a hold, and the forecast would learn the
    stages from the passages of a single day. Told apart and read as such: the nights are no
    holds; the repair held for parts keeps its hold (its wall-clock time beyond its minutes).
    The same orders written the export's way are read as before."""
    texto, marcos = em_horario(app, uteis=True)
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 0, r.output
    assert "Os minutos das etapas do arquivo estão em horário de funcionamento" in r.output
    assert "Em 10 etapas, o tempo entre as datas além dos minutos era só a oficina" in r.output
    assert "não somam as esperas" not in r.output  # compared with the nights, not the file's
    uteis_reparo = componente(PrevisaoService, app).calendario.uteis_entre(marcos[4], marcos[5])
    reparo = (marcos[5] - marcos[4]).total_seconds() - (uteis_reparo - 240 * 60)
    n = len(linhas(texto)) - 1
    assert n > 0 and fila(app).count_documents({}) == n
    for ordem in fila(app).find():
        assert so_em_espera(ordem, reparo)
        assert ordem["pausas_motivo_s"][Etapa.EM_REPARO.value]["aguardando_pecas"] > 0

    fila(app).delete_many({})
    texto, _ = em_horario(app, uteis=False)
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 0 and "horário de funcionamento" not in r.output
    assert fila(app).count_documents({}) == n
    for ordem in fila(app).find():  # the same holds: the export's minutes leave them as well
        assert so_em_espera(ordem, reparo)


@pytest.fixture
def gerente(app: Flask, usuarios_demo: dict, entrar: Any) -> Quadro:
    client = app.test_client()
    entrar(client, "gerente", "gerente123")
    return Quadro(client)


def test_nomes_de_mecanicos_da_oficina_viram_seus_numeros(app: Flask, tmp_path: Path) -> None:
    aleatorias(app, 5, semente=3)
    fila(app).update_many({}, {"$set": {"mecanico_responsavel_id": 102}})
    componente(Mongo, app).db["usuarios"].insert_one(
        {"login": "paula", "nome": "Paula Pereira", "funcionario_id": 102, "papel": "mecanico"}
    )
    texto = exportado(app)
    assert all(linha[5] == "Paula Pereira" for linha in linhas(texto)[1:])
    fila(app).delete_many({})
    assert importar(app, arquivo(tmp_path, texto)).exit_code == 0
    assert {d["mecanico_responsavel_id"] for d in fila(app).find()} == {102}
    assert fila(app).count_documents({"mecanico_nome": {"$exists": True}}) == 0


def test_nomes_em_outras_escritas_nao_se_confundem(app: Flask, tmp_path: Path) -> None:
    """Names in any script stay themselves: 李四 and 王五 (both "" once their letters were
    dropped as non-ASCII) are two people, and a line of 李四 goes to 李四, not to the other."""
    aleatorias(app, 4, semente=4)
    fila(app).update_many({}, {"$set": {"mecanico_responsavel_id": 103}})
    usuarios = componente(Mongo, app).db["usuarios"]
    usuarios.insert_one({"login": "li", "nome": "李四", "funcionario_id": 103, "papel": "mecanico"})
    usuarios.insert_one(
        {"login": "wang", "nome": "王五", "funcionario_id": 104, "papel": "mecanico"}
    )
    texto = exportado(app)
    assert all(linha[5] == "李四" for linha in linhas(texto)[1:])
    fila(app).delete_many({})
    assert importar(app, arquivo(tmp_path, texto)).exit_code == 0
    assert {d["mecanico_responsavel_id"] for d in fila(app).find()} == {103}


# --- Refusals: every bad line, with its number; nothing written ----------------------------------


def test_cada_linha_ruim_recusada_com_seu_numero_e_nada_gravado(app: Flask, tmp_path: Path) -> None:
    fim = agora() - timedelta(days=1)
    boa = linha_minima(app, 1, fim)
    texto = "\n".join([
        MINIMO,
        boa,  # line 2: fine
        linha_minima(app, 2, fim).replace(local(app, fim), "31/02/2026 10:00"),  # 3
        linha_minima(app, 3, fim, prioridade="Altíssima"),  # 4
        linha_minima(app, 1, fim),  # 5: OS 1 again
        "",  # a blank line is skipped, and counted
        # 7: the diagnosis ends before it starts
        ";".join(["7", "Alta", *(local(app, fim - timedelta(minutes=m))
                                   for m in (300, 240, 250, 120, 60, 10))]),
        linha_minima(app, 8, agora() + timedelta(days=2)),  # 8: not finished yet
        linha_minima(app, 9, fim).replace("9;", "9x;", 1),  # 9: not a number
        ";".join(["10", "Normal", local(app, fim), "", "", "", "", ""]),  # 10: empty dates
        # 11: in 2000 as written, 1999 in UTC (and in the shop's zone, as exported)
        linha_minima(app, 11, fim).replace(
            local(app, fim - timedelta(minutes=150)), "2000-01-01T00:00:00+14:00", 1
        ),
        # 12-14: at the ends of any date (a zone's shift would be past them)
        *(linha_minima(app, n, fim).replace(local(app, fim - timedelta(minutes=150)), data, 1)
          for n, data in ((12, "31/12/9999 23:00"), (13, "9999-12-31T23:00-05:00"),
                          (14, "0001-01-01T00:00+14:00"))),
        # 15: no approval (then the repair's start), the repair starting before the diagnosis
        # ends: the refusal names the repair's start, not the empty approval
        ";".join(["15", "Alta", *(local(app, fim - timedelta(minutes=m)) if m else ""
                                    for m in (300, 240, 120, 0, 180, 10))]),
        # 16: the repair starts in the approval's minute, 30 s before it (said to the second)
        "16;Alta;04/11/2026 08:00;04/11/2026 08:30;04/11/2026 09:00;04/11/2026 10:00:30;"
        "04/11/2026 10:00;04/11/2026 11:00",
        # 17: the same, apart by a fraction of a second (ISO 8601 with milliseconds)
        "17;Alta;04/11/2026 08:00;04/11/2026 08:30;04/11/2026 09:00;"
        "2026-11-04T10:00:05.250-03:00;2026-11-04T10:00:05.100-03:00;04/11/2026 11:00",
    ])  # fmt: skip
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 1
    erros = r.stderr
    assert "Linha 2" not in erros
    assert "Linha 3: “Fim do reparo”: data inválida '31/02/2026 10:00'" in erros
    assert "Linha 4: prioridade desconhecida 'Altíssima'; use Urgente, Alta, Normal, Baixa" in erros
    assert "Linha 5: a OS 1 já apareceu na linha 2" in erros
    assert re.search(
        r"Linha 7: “Fim do diagnóstico” \(.*\) vem antes de “Início do diagnóstico”", erros
    )
    assert "Linha 8: “Fim do reparo” (" in erros and "ainda não chegou" in erros
    assert "Linha 9: “OS” deve ser um número inteiro positivo" in erros
    assert "Linha 10: “Início do diagnóstico” está vazia" in erros
    for n in (11, 12, 13, 14):
        assert f"Linha {n}: “Entrada na fila”: ano fora do intervalo aceito (2000 a 2100)" in erros
    assert re.search(
        r"Linha 15: “Início do reparo” \(.*\) vem antes de “Fim do diagnóstico”", erros
    )
    assert "Aprovação" not in erros.split("Linha 15:")[1].splitlines()[0]
    assert (
        "Linha 16: “Início do reparo” (04/11/2026 10:00:00) vem antes de “Aprovação do orçamento”"
        " (04/11/2026 10:00:30)"
    ) in erros
    assert (
        "Linha 17: “Início do reparo” (04/11/2026 10:00:05,100) vem antes de “Aprovação do "
        "orçamento” (04/11/2026 10:00:05,250)"
    ) in erros
    assert "Erro: nada foi importado: 14 linhas recusadas." in erros
    assert r.stdout == ""
    assert fila(app).count_documents({}) == 0  # not even line 2


def test_csv_malformado_dito_em_portugues(app: Flask, tmp_path: Path) -> None:
    """An unclosed quote swallows the rest of the file into one field: the csv module's
    English ("field larger than field limit") is said in words, on the line where the quote
    opened (the module notices it only lines later: it was the line said, 1148 for 2,000
    lines after it). A short file's rest fits a cell: the cell too long says why too."""
    fim = agora() - timedelta(days=1)
    boas = [linha_minima(app, n, fim) for n in range(4, 2_004)]
    texto = "\n".join([MINIMO, linha_minima(app, 1, fim), '"2;Alta', *boas, "x" * 200_000])
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 3: o CSV está malformado: aspas abertas nesta linha não se fecham (o campo "
        "seguiria até a linha "
    ), r.stderr
    assert "field larger" not in r.stderr
    assert fila(app).count_documents({}) == 0
    curto = "\n".join(
        [
            f"{MINIMO};Cliente",
            linha_minima(app, 1, fim) + ';"Maria',
            *(f"{b};Ana" for b in boas[:9]),
        ]
    )
    r = importar(app, arquivo(tmp_path, curto))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 2: o CSV está malformado: aspas abertas nesta linha não se fecham até o fim do "
        "arquivo\n"
    ), r.stderr
    # The quote still open on the last line, with one line after it: the next order was taken
    # into the first one's customer, which fits, and the import said "1 ordem importada" (OS
    # 4502 lost without a word).
    ultima = "\n".join(
        [f"{MINIMO};Cliente", linha_minima(app, 1, fim) + ';"abc', linha_minima(app, 2, fim) + ";x"]
    )
    r = importar(app, arquivo(tmp_path, ultima))
    assert r.exit_code == 1 and "Linha 2: o CSV está malformado: aspas abertas" in r.stderr
    assert fila(app).count_documents({}) == 0
    # Closed lines later: the customer's one-line cell holds the lines between, said so.
    fechada = "\n".join(
        [
            f"{MINIMO};Cliente",
            linha_minima(app, 1, fim) + ';"abc',
            linha_minima(app, 2, fim) + ';x"',
            linha_minima(app, 3, fim) + ";Ana",
        ]
    )
    r = importar(app, arquivo(tmp_path, fechada))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 2: “Cliente” tem quebra de linha (aspas abertas nesta linha sem fechar?)\n"
    ), r.stderr
    assert fila(app).count_documents({}) == 0
    # Closed lines later by a quoted cell's own quote, text after it ('"Fiat ""Toro""'): it
    # was "Linha 4: … aspas ou quebras de linha fora do lugar", the line where it closed.
    toro = "\n".join(
        [
            f"{MINIMO};Veículo",
            linha_minima(app, 1, fim) + ';"Fiat aberto',
            linha_minima(app, 2, fim) + ";Gol",
            linha_minima(app, 3, fim) + ';"Fiat ""Toro"" Volcano"',
        ]
    )
    r = importar(app, arquivo(tmp_path, toro))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 2: o CSV está malformado: aspas abertas nesta linha não se fecham (o campo "
        "seguiria até a linha 4)"
    ), r.stderr
    assert fila(app).count_documents({}) == 0
    # An open quote that swallows one line only: the record lacks that line's fields, and the
    # refusal names both lines and the quote (it said only "“Entrada na fila” está vazia").
    uma = "\n".join(
        [MINIMO, linha_minima(app, 1, fim), '"Oficina;ALTA', linha_minima(app, 4, fim) + '"']
    )
    r = importar(app, arquivo(tmp_path, uma))
    assert r.exit_code == 1
    assert (
        "(este registro ocupa 2 linhas do arquivo, da 3 à 4: aspas abertas sem fechar?)" in r.stderr
    ), r.stderr
    # A field past the csv module's limit on its own line, without a quote: too long, said so.
    longo = "\n".join([f"{MINIMO};Veículo", linha_minima(app, 1, fim) + ";" + "x" * 200_000])
    r = importar(app, arquivo(tmp_path, longo))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 2: um campo desta linha é longo demais (mais de 131.072 caracteres)"
    ), r.stderr
    assert "aspas" not in r.stderr
    # A line cut short (its last fields lost): the empty field it reports comes with the
    # counts (it said only "“Fim do diagnóstico” está vazia", of a date that was not there).
    cortada = ";".join(linha_minima(app, 2, fim).split(";")[:4])
    r = importar(app, arquivo(tmp_path, "\n".join([MINIMO, linha_minima(app, 1, fim), cortada])))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 3: “Fim do diagnóstico” está vazia (a linha tem 4 campos e o cabeçalho 8: os "
        "que faltam no fim dela contam como vazios)\n"
    ), r.stderr


@pytest.mark.parametrize(
    ("cabecalho", "esperado"),
    [
        (MINIMO.replace(";Fim do reparo", ""), "Linha 1: faltam as colunas “Fim do reparo”"),
        (MINIMO.replace("OS;", "Ordem;"), "Linha 1: faltam as colunas “OS”"),
        (MINIMO + ";OS", "Linha 1: a coluna “OS” aparece duas vezes"),
    ],
)
def test_cabecalho_sem_as_colunas_recusado(
    app: Flask, tmp_path: Path, cabecalho: str, esperado: str
) -> None:
    r = importar(app, arquivo(tmp_path, cabecalho + "\n" + linha_minima(app, 1, agora())))
    assert r.exit_code == 1 and esperado in r.stderr
    assert fila(app).count_documents({}) == 0


def test_exportacao_que_se_contradiz_recusada(app: Flask, tmp_path: Path) -> None:
    aleatorias(app, 3, semente=5)
    cabecalho, *corpo = linhas(exportado(app))
    corpo[1][cabecalho.index("Reparo (min)")] = "9999,0"  # more than between its dates
    corpo[2][cabecalho.index("Do início ao fim (min)")] = "1,0"  # stages sum far more
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 1
    assert "Linha 3: “Reparo (min)” (9999,0 min) é mais que o tempo entre" in r.stderr
    assert "Linha 4: as etapas somam" in r.stderr and "“Do início ao fim (min)” diz 1,0" in r.stderr
    # What to do about it: the total leaves the holds out, as the stages do.
    assert "é a soma das etapas, sem o tempo em espera, não o tempo corrido" in r.stderr
    assert "Linha 2" not in r.stderr and fila(app).count_documents({}) == 0


def test_numeros_e_nomes_sem_tamanho_recusados_na_linha(app: Flask, tmp_path: Path) -> None:
    """Cells no tool writes (400 digits of minutes, a mechanic's number past 64 bits, a name of
    a thousand letters) are refused with their line, never a traceback."""
    aleatorias(app, 3, semente=6)
    cabecalho, *corpo = linhas(exportado(app))
    mecanico = next(c for c in cabecalho if c.startswith("Mecânico"))
    corpo[0][cabecalho.index("Do início ao fim (min)")] = "9" * 400
    corpo[1][cabecalho.index(mecanico)] = "9" * 30
    corpo[2][cabecalho.index(mecanico)] = "Fulano " + "x" * 1000
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 1 and "Traceback" not in r.output + r.stderr
    assert "Linha 2: “Do início ao fim (min)”: minutos inválidos" in r.stderr
    assert f"Linha 3: “{mecanico}”: número inválido" in r.stderr
    assert f"Linha 4: “{mecanico}” longa demais (1007 caracteres; máximo 200)" in r.stderr
    assert fila(app).count_documents({}) == 0


@pytest.mark.parametrize("inteiro", [round, math.floor], ids=["arredondados", "cortados"])
def test_minutos_inteiros_de_outra_ferramenta(app: Flask, tmp_path: Path, inteiro: Any) -> None:
    """The export's file with its minutes written whole (rounded, or cut, as a spreadsheet or
    another tool writes them): every line comes in, each stage within a minute of what the
    export said; still a contradiction (more than a minute over its dates) is refused."""
    aleatorias(app, 40, semente=8)
    cabecalho, *corpo = linhas(exportado(app))
    colunas = [i for i, nome in enumerate(cabecalho) if nome.endswith("(min)")]
    for linha in corpo:
        for i in colunas:
            linha[i] = str(inteiro(float(linha[i].replace(",", "."))))
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 0, r.output
    assert fila(app).count_documents({}) == 40
    cabecalho_de_novo, *de_novo = linhas(exportado(app))
    assert cabecalho_de_novo == cabecalho
    reparo = cabecalho.index("Reparo (min)")
    for antes, depois in zip(sorted(corpo), sorted(de_novo), strict=True):
        assert abs(float(antes[reparo]) - float(depois[reparo].replace(",", "."))) <= 1.0

    corpo[0][reparo] = str(int(corpo[0][reparo]) + 200_000)  # far more than between its dates
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 1 and "“Reparo (min)”" in r.stderr
    assert fila(app).count_documents({}) == 0


@pytest.mark.parametrize(
    "formato", ["%d/%m/%Y %H:%M:00", "%Y-%m-%d %H:%M:00", "%Y-%m-%dT%H:%M:00.000%z"]
)
def test_datas_da_exportacao_reescritas_com_segundos_zero(
    app: Flask, tmp_path: Path, formato: str
) -> None:
    """The export's dates rewritten by a tool that writes the seconds as :00 (a spreadsheet,
    pandas, another zone's offset): every line comes in as the export's own would, the same
    rows out again. They were taken as exact, and their stages' minutes (up to a minute more
    than between such dates) refused almost every line."""
    aleatorias(app, 40, semente=9)
    antes = exportado(app)
    cabecalho, *corpo = linhas(antes)
    fuso = componente(Clock, app).fuso
    datas = [i for i, nome in enumerate(cabecalho) if nome in export.CABECALHO[6:13]]
    for linha in corpo:
        for i in datas:
            if linha[i]:
                local = datetime.strptime(linha[i], "%d/%m/%Y %H:%M").replace(tzinfo=fuso)
                linha[i] = local.strftime(formato)
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 0, r.output
    assert "40 ordens importadas" in r.output
    assert sorted(map(tuple, linhas(exportado(app)))) == sorted(map(tuple, linhas(antes)))


def test_sem_espera_no_arquivo_nenhuma_espera_inventada(
    app: Flask, api: Api, tmp_path: Path
) -> None:
    """Lines whose dates and minutes agree with no hold at all, in tenths (the export's) or in
    whole minutes: stored with no hold (the rounding's seconds are not one), counted by the
    indicators as orders never held, and exported back with the very same figures."""
    dia = (datetime.now(UTC) - timedelta(days=5)).astimezone(componente(Clock, app).fuso)
    datas = [dia.replace(hour=h, minute=0).strftime("%d/%m/%Y %H:%M") for h in (8, 8, 9, 9, 9, 11)]
    minutos = {"5001": "0,0;60,0;0,0;0,0;120,0;180,0;0,0;0,0;0,0", "5002": "0;60;0;0;120;180;0;0;0"}
    texto = "\r\n".join(
        [";".join(export.CABECALHO)]
        + [f"{os_id};;;;Normal;;{';'.join(datas)};;{m}" for os_id, m in minutos.items()]
    )
    r = importar(app, arquivo(tmp_path, export.BOM + texto))
    assert r.exit_code == 0, r.output
    for ordem in fila(app).find():
        assert not any(ordem["pausas_s"].values()), ordem["pausas_s"]
        assert not any(v for m in ordem["pausas_motivo_s"].values() for v in m.values())
    dia_texto = dia.date().isoformat()
    consulta = {"periodo": "personalizado", "de": dia_texto, "ate": dia_texto}
    intervalos = api.como("gerente").get("/indicadores", query_string=consulta).json["intervalos"]
    assert intervalos["total"]["n"] == 2 and intervalos["total"]["ordens_com_espera"] == 0
    assert not any(m["ordens"] for m in intervalos["total"]["espera_por_motivo"].values())
    [_, *corpo] = linhas(exportado(app))
    assert [";".join(linha[13:]) for linha in corpo] == [minutos["5001"]] * 2


def importar_iguais(
    app: Flask, tmp_path: Path, marcos: list[datetime], minutos: str, prioridade: str,
    numeros: tuple[int, ...],
) -> None:  # fmt: skip
    """Lines of the export's format, one per OS number, all with these six instants and these
    minutes (the export's columns from "Espera pelo diagnóstico" on), imported."""
    datas = ";".join(m.strftime("%d/%m/%Y %H:%M") for m in marcos)
    texto = "\r\n".join(
        [";".join(export.CABECALHO), *(f"{n};;;;{prioridade};;{datas};;{minutos}" for n in numeros)]
    )
    r = importar(app, arquivo(tmp_path, export.BOM + texto))
    assert r.exit_code == 0, r.output


def marcos_em(
    app: Flask, dias: int, hora: int, minuto: int, passos: tuple[int, ...]
) -> tuple[datetime, list[datetime]]:
    """A day `dias` ago in the shop's zone, and the six instants `passos` minutes after its
    hora:minuto."""
    dia = (datetime.now(UTC) - timedelta(days=dias)).astimezone(componente(Clock, app).fuso)
    inicio = dia.replace(hour=hora, minute=minuto, second=0, microsecond=0)
    return dia, [inicio + timedelta(minutes=m) for m in passos]


def intervalos_entre(api: Api, de: date, ate: date) -> dict[str, Any]:
    """The indicators' intervals of these days, as a manager's token reads them."""
    consulta = {"periodo": "personalizado", "de": de.isoformat(), "ate": ate.isoformat()}
    return api.como("gerente").get("/indicadores", query_string=consulta).json["intervalos"]


def test_espera_so_na_etapa_que_as_datas_deixam(app: Flask, api: Api, tmp_path: Path) -> None:
    """A line held only in its repair (978 min for parts), its other stages' dates in the
    same minute as their minutes: the hold is the repair's alone. Before, the solver pushed
    the hold to the earliest stages the dates' minutes allowed, so nearly a minute of it
    became a hold of the wait for a diagnosis, and /indicadores counted every such imported
    order as held there."""
    dia = (datetime.now(UTC) - timedelta(days=6)).astimezone(componente(Clock, app).fuso)
    inicio = dia.replace(hour=12, minute=7, second=0, microsecond=0)
    marcos = [
        inicio,
        inicio,
        inicio + timedelta(minutes=126),
        *[inicio + timedelta(minutes=126)] * 2,
    ]
    marcos.append(marcos[-1] + timedelta(minutes=94 + 978))
    minutos = "0,0;126,0;0,0;0,0;94,0;220,0;978,0;0,0;0,0"
    importar_iguais(app, tmp_path, marcos, minutos, "Normal", (71, 72))
    for ordem in fila(app).find():
        assert so_em_espera(ordem, 978 * 60), ordem["pausas_s"]
    intervalos = intervalos_entre(api, dia.date(), marcos[-1].date())
    assert intervalos["espera_diagnostico"]["ordens_com_espera"] == 0
    assert intervalos["total"]["ordens_com_espera"] == 2
    [_, *corpo] = linhas(exportado(app))
    assert [";".join(linha[13:]) for linha in corpo] == [minutos] * 2


def test_espera_que_as_colunas_nao_dizem_fica_na_etapa_das_datas(
    app: Flask, api: Api, tmp_path: Path
) -> None:
    """A line whose "Em espera" columns say 0 while its dates hold 77 minutes more than its
    diagnosis' minutes (a tool, such as a simulator, that left those columns at zero): the
    hold is the diagnosis' alone. Before, the solve that reads the dates' holds spread each
    other stage's rounding into a hold of about 3 s ("outro"), and /indicadores counted those
    orders as held waiting for the budget's approval and in their repair."""
    dia, marcos = marcos_em(app, 6, 7, 47, (0, 0, 124, 211, 211, 346))
    importar_iguais(app, tmp_path, marcos, "0,0;47,0;87,0;0,0;135,0;269,0;0,0;0,0;0,0", "Urgente",
                    (81, 82))  # fmt: skip
    for ordem in fila(app).find():
        assert so_em_espera(ordem, 77 * 60, Etapa.EM_DIAGNOSTICO), ordem["pausas_s"]
    intervalos = intervalos_entre(api, dia.date(), dia.date())
    assert intervalos["diagnostico"]["ordens_com_espera"] == 2
    for intervalo in ("espera_aprovacao", "espera_reparo", "reparo"):
        assert intervalos[intervalo]["ordens_com_espera"] == 0, intervalo


def test_minutos_em_branco_nao_recebem_a_espera(app: Flask, api: Api, tmp_path: Path) -> None:
    """A line whose wait for a diagnosis has its minutes blank (a spreadsheet's empty cell),
    held 46 minutes ("outro") in its repair: the hold is the repair's alone. Before, the
    least-hold solve left the blank stage free and put 48 s of the hold there, and
    /indicadores counted such orders as held waiting for a diagnosis."""
    dia, marcos = marcos_em(app, 6, 15, 56, (0, 0, 33, 908, 908, 1324))
    importar_iguais(app, tmp_path, marcos, ";32,8;874,6;0,0;370,4;1277,8;0,0;0,0;46,0", "Baixa",
                    (91, 92))  # fmt: skip
    for ordem in fila(app).find():
        assert so_em_espera(ordem, 46 * 60), ordem["pausas_s"]
        motivos = {m for m, s in ordem["pausas_motivo_s"]["em_reparo"].items() if s}
        assert motivos == {"outro"}, ordem["pausas_motivo_s"]
    intervalos = intervalos_entre(api, dia.date(), marcos[-1].date())
    assert intervalos["espera_diagnostico"]["ordens_com_espera"] == 0
    assert intervalos["reparo"]["ordens_com_espera"] == 2


def test_motivo_escrito_zero_nao_recebe_segundos(app: Flask, api: Api, tmp_path: Path) -> None:
    """A line of the app's own export, held 2375.4 min for parts in its repair, the other
    reasons 0,0, its dates at the edge of their minutes: only the least-hold solve's bounds
    failed, and the solve in every reason's rounding gave each 0,0 reason about 3 s.
    /indicadores then counted those orders as held waiting for the customer; the round trip
    kept it (3 s prints as 0,0). Now a reason written 0,0 gets nothing when the named ones
    can take the hold."""
    dia, marcos = marcos_em(app, 9, 8, 5, (0, 0, 62, 342, 342, 342 + 2743))
    minutos = "0,0;61,4;280,0;0,0;367,2;708,6;2375,4;0,0;0,0"
    importar_iguais(app, tmp_path, marcos, minutos, "Baixa", (93, 94))
    for ordem in fila(app).find():
        motivos = {m: s for m, s in ordem["pausas_motivo_s"]["em_reparo"].items() if s}
        assert motivos.keys() == {"aguardando_pecas"}, ordem["pausas_motivo_s"]
    espera = intervalos_entre(api, dia.date(), marcos[-1].date())["total"]["espera_por_motivo"]
    assert espera["aguardando_pecas"]["ordens"] == 2
    assert espera["aguardando_cliente"]["ordens"] == espera["outro"]["ordens"] == 0, espera
    [_, *corpo] = linhas(exportado(app))
    assert [";".join(linha[13:]) for linha in corpo] == [minutos] * 2


def test_textos_sem_caracteres_de_controle(app: Flask, tmp_path: Path) -> None:
    """A mechanic's name, a vehicle and a customer from a file are stored without control
    characters, as the board stores text: an escape in a name the summary prints (a name no
    person of the shop has) never reaches the terminal that runs the import."""
    fim = agora() - timedelta(days=2)
    cabecalho = MINIMO.replace("OS;", "OS;Mecânico;Veículo;Cliente;", 1)
    linha = linha_minima(app, 1, fim).replace(
        "1;", '1;"\x1b]0;PWNED\x07\x1b[31mRED";Gol\x00;Ana\x1b[2J;', 1
    )
    r = importar(app, arquivo(tmp_path, cabecalho + "\n" + linha))
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output
    assert "]0;PWNED[31mRED" in r.output  # named as stored, harmless
    assert "Nomes que não são de mecânicos cadastrados (guardados só como nome): ]0;" in r.output
    [ordem] = guardado(app)
    assert ordem["mecanico_nome"] == "]0;PWNED[31mRED"
    assert (ordem["veiculo"], ordem["cliente"]) == ("Gol", "Ana[2J")


def test_arquivo_grande_demais_recusado_sem_ler_tudo(app: Flask, tmp_path: Path) -> None:
    """A file past 16 MiB (checked whole in memory before writing, it would take GBs) is
    refused at once, with what to do, from a path or from stdin; nothing imported."""
    from webapp.indicadores.cli import TAMANHO_MAXIMO

    linha = linha_minima(app, 1, agora() - timedelta(days=3))
    grande = MINIMO + "\n" + (linha + "\n") * (TAMANHO_MAXIMO // len(linha) + 10)
    caminho = arquivo(tmp_path, grande)
    for args, entrada in (([str(caminho)], None), (["-"], grande.encode())):
        r = app.test_cli_runner().invoke(args=["importar-historico", *args], input=entrada)
        assert r.exit_code == 1
        assert "arquivo grande demais (mais de 16 MiB" in r.output
        assert "Divida-o em partes" in r.output
    assert fila(app).count_documents({}) == 0


def test_separador_de_milhar_nos_minutos_e_apontado(app: Flask, tmp_path: Path) -> None:
    """Whole minutes a spreadsheet wrote with a thousands separator ("1.158") read as a
    decimal point, so the line's minutes cannot be its dates': refused, and the reason says
    which figure and how to write it."""
    inicio = (datetime.now(UTC) - timedelta(days=5)).astimezone(componente(Clock, app).fuso)
    inicio = inicio.replace(hour=8, minute=0, second=0, microsecond=0)
    marcos = [inicio, inicio, *[inicio + timedelta(minutes=60)] * 3]
    marcos.append(marcos[-1] + timedelta(minutes=1158))
    datas = ";".join(m.strftime("%d/%m/%Y %H:%M") for m in marcos)
    texto = "\n".join(
        [";".join(export.CABECALHO), f"71;;;;Normal;;{datas};;0;60;0;0;1.158;1.218;0;0;0"]
    )
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 1
    assert "(“1.158” foi lido como 1,158 min: escreva os minutos sem separador de milhar)" in (
        r.stderr
    )
    assert fila(app).count_documents({}) == 0


@pytest.mark.parametrize(("milhar", "decimal"), [(".", ","), (",", ".")])
def test_minutos_com_milhar_e_decimais_sao_lidos(
    app: Flask, tmp_path: Path, milhar: str, decimal: str
) -> None:
    """The export's minutes as a spreadsheet formats them, thousands grouped and decimals
    ("1.152,0", or "1,152.0" in English): both marks written, nothing to guess; every line
    comes in and goes out as the export wrote it (they were refused)."""
    aleatorias(app, 40, semente=10)
    antes = exportado(app)
    cabecalho, *corpo = linhas(antes)
    colunas = [i for i, nome in enumerate(cabecalho) if nome.endswith("(min)")]
    agrupados = 0
    for linha in corpo:
        for i in colunas:
            inteiro, _, decimais = linha[i].partition(",")
            agrupados += len(inteiro) > 3
            linha[i] = f"{int(inteiro):,}".replace(",", milhar) + decimal + decimais
    assert agrupados > 10  # the file does carry grouped figures
    fila(app).delete_many({})
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([cabecalho, *corpo])
    r = importar(app, arquivo(tmp_path, buffer.getvalue()))
    assert r.exit_code == 0, r.output
    assert sorted(map(tuple, linhas(exportado(app)))) == sorted(map(tuple, linhas(antes)))


def test_texto_unicode_do_excel(app: Flask, tmp_path: Path) -> None:
    """Excel's "Texto Unicode" (UTF-16 with its BOM, tab-separated) reads as the export: it
    was decoded as Windows-1252 and refused for columns "missing"."""
    aleatorias(app, 20, semente=11)
    antes = exportado(app)
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t").writerows(linhas(antes))
    fila(app).delete_many({})
    r = importar(app, arquivo(tmp_path, buffer.getvalue(), "utf-16"))
    assert r.exit_code == 0, r.output
    assert sorted(map(tuple, linhas(exportado(app)))) == sorted(map(tuple, linhas(antes)))


def test_verificar_nao_grava(app: Flask, tmp_path: Path) -> None:
    texto = MINIMO + "\n" + linha_minima(app, 1, agora() - timedelta(hours=1))
    r = importar(app, arquivo(tmp_path, texto), "--verificar")
    assert r.exit_code == 0, r.output
    assert "1 ordem seria importada, 0 já existiam." in r.output
    assert "nada foi gravado" in r.output and fila(app).count_documents({}) == 0


def test_diz_com_quantas_ordens_a_previsao_aprende(app: Flask, tmp_path: Path) -> None:
    """A shop that imports a spreadsheet of last year sees no forecast and must hear why:
    the summary counts the orders of the forecast's window (all of the base's, not only the
    file's) and says which of the file's finished before it."""
    recentes = [linha_minima(app, n, agora() - timedelta(days=n)) for n in range(1, 4)]
    antigas = [linha_minima(app, n, agora() - timedelta(days=n)) for n in (100, 200)]
    caminho = arquivo(tmp_path, "\n".join([MINIMO, *recentes, *antigas]))

    r = importar(app, caminho, "--verificar")
    assert r.exit_code == 0, r.output
    assert "2 ordens do arquivo terminaram antes dos últimos 90 dias" in r.output
    assert (
        "A previsão aprenderia com 3 ordens finalizadas nos últimos 90 dias: abaixo do mínimo "
        "de 30 (PREVISAO_HISTORICO_MINIMO), ela mostra “sem histórico suficiente”"
    ) in r.output

    r = importar(app, caminho)
    assert r.exit_code == 0 and "5 ordens importadas" in r.output
    assert "A previsão aprende com 3 ordens finalizadas nos últimos 90 dias: abaixo" in r.output
    assert componente(PrevisaoService, app).recalcular().base_ordens == 3
    # Run again (nothing new), the file's old orders are still said: it was silent.
    r = importar(app, caminho)
    assert r.exit_code == 0 and "0 ordens importadas, 5 já existiam." in r.output
    assert "2 ordens do arquivo terminaram antes dos últimos 90 dias" in r.output
    assert "A previsão aprende com 3 ordens finalizadas nos últimos 90 dias: abaixo" in r.output

    # 30 more in the window: enough; the base counts what was there before the file.
    mais = [linha_minima(app, n, agora() - timedelta(hours=n)) for n in range(1000, 1030)]
    r = importar(app, arquivo(tmp_path, "\n".join([MINIMO, *mais])))
    assert r.exit_code == 0, r.output
    assert "A previsão aprende com 33 ordens finalizadas nos últimos 90 dias." in r.output
    assert "antes dos últimos" not in r.output
    assert componente(PrevisaoService, app).recalcular().base_ordens == 33


# --- Keyed on the OS number --------------------------------------------------------------------


def test_importar_de_novo_nao_muda_nada(app: Flask, tmp_path: Path) -> None:
    fim = agora() - timedelta(days=1)
    texto = "\n".join(
        [MINIMO, *(linha_minima(app, n, fim - timedelta(hours=n)) for n in (1, 2, 3))]
    )
    caminho = arquivo(tmp_path, texto)
    r = importar(app, caminho)
    assert r.exit_code == 0 and "3 ordens importadas, 0 já existiam." in r.output
    primeiro = guardado(app)
    r = importar(app, caminho)
    assert r.exit_code == 0 and "0 ordens importadas, 3 já existiam." in r.output
    assert guardado(app) == primeiro
    # A longer file later: only what is new comes in.
    r = importar(app, arquivo(tmp_path, texto + "\n" + linha_minima(app, 4, fim)))
    assert "1 ordem importada, 3 já existiam." in r.output
    assert fila(app).count_documents({}) == 4


def test_os_do_quadro_fica_como_esta(app: Flask, api: Api, tmp_path: Path) -> None:
    """An OS number the board already has (open or finished there) is never replaced by a
    line of a file: the board's order has the real history. The file goes in without it."""
    aberta = api.criar(2)
    antes = fila(app).find_one({"ordem_servico_id": 2})
    fim = agora() - timedelta(days=1)
    texto = "\n".join([MINIMO, linha_minima(app, 1, fim), linha_minima(app, 2, fim)])
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 0, r.output
    assert "1 ordem importada, 1 já existia." in r.output
    assert "Destas, 1 ordem do quadro, mantida como está: OS 2 (linha 3)." in r.output
    assert fila(app).find_one({"ordem_servico_id": 2}) == antes
    assert api.get(f"/fila-execucao/{aberta['fila_id']}").json["status"] == "AGUARDANDO"


def test_os_de_19_algarismos_volta_pela_exportacao(app: Flask, api: Api, tmp_path: Path) -> None:
    """An OS number up to MongoDB's largest integer, as the API takes it: its export is read
    back (refused past 18 digits, the round trip broke); one past that is no OS."""
    grande = 2**63 - 1
    fila_id = api.criar(grande)["fila_id"]
    api.levar_ate(fila_id, "finalizar-reparo")
    r = importar(app, arquivo(tmp_path, exportado(app)), "--verificar")
    assert r.exit_code == 0, r.output
    assert "1 já existia" in r.output
    fim = agora() - timedelta(days=1)
    r = importar(app, arquivo(tmp_path, "\n".join([MINIMO, linha_minima(app, 2**63, fim)])))
    assert r.exit_code == 1
    assert (
        "Linha 2: “OS” deve ser um número inteiro positivo (até 9.223.372.036.854.775.807), "
        f"não '{2**63}'" in r.stderr
    )


# --- The minimal CSV of a spreadsheet ----------------------------------------------------------


def test_csv_minimo_de_planilha(app: Flask, tmp_path: Path) -> None:
    """Commas, any order of columns, a column it does not read (and a nameless one, a
    trailing comma, not named), dates with seconds or ISO with an offset, priority by code or
    label or left empty, approval left empty (then the repair's start), saved by Excel as
    Windows-1252."""
    texto = (
        "Fim do reparo,OS,Entrada na fila,Início do diagnóstico,Fim do diagnóstico,"
        "Aprovação do orçamento,Início do reparo,Prioridade,Observação,\r\n"
        "02/03/2026 12:00,501,02/03/2026 08:00:30,2026-03-02 08:10,2026-03-02T08:40:00-03:00,"
        "02/03/2026 09:00,02/03/2026 10:00,URGENTE,cliente chato\r\n"
        "03/03/2026 17:00,502,03/03/2026 08:00,03/03/2026 09:00,03/03/2026 10:00,,"
        "03/03/2026 13:00,,\r\n"
        "04/03/2026 17:00,503,04/03/2026 08:00,04/03/2026 09:00,04/03/2026 10:00,"
        "04/03/2026 11:00,04/03/2026 13:00,média,\r\n"
    )
    r = importar(app, arquivo(tmp_path, texto.replace("média", "Baixa"), "cp1252"))
    assert r.exit_code == 0, r.output
    assert "Formato: planilha (CSV mínimo)." in r.output
    assert "Colunas ignoradas: “Observação”." in r.output
    assert "3 ordens importadas, 0 já existiam." in r.output
    assert "Os números de OS importados ficam reservados" in r.output  # a spreadsheet's numbers
    # Nobody named, nobody listed: the forecast counts cars in work, and the shop hears so.
    aviso = "O arquivo não diz os mecânicos, e nenhum está cadastrado em /pessoas"
    assert aviso in r.output
    a, b, c = (fila(app).find_one({"ordem_servico_id": n}) for n in (501, 502, 503))
    assert a["prioridade"] == "URGENTE" and a["prioridade_ordem"] == 0
    assert a["dta_criacao"] == datetime(2026, 3, 2, 11, 0, 30, tzinfo=UTC)  # -03:00 all year
    assert a["dta_fim_diagnostico"] == datetime(2026, 3, 2, 11, 40, tzinfo=UTC)
    assert a["status"] == "FINALIZADA" and a["importada"] is True and a["orcamento_aprovado"]
    assert a["pausas_s"] == {e.value: 0.0 for e in Etapa}
    assert b["prioridade"] == "NORMAL"
    assert b["dta_aprovacao_orcamento"] == b["dta_inicio_reparo"]
    assert c["prioridade"] == "BAIXA"
    # As the export writes them back (priority in words, the approval filled in).
    por_os = {linha[0]: linha for linha in linhas(exportado(app))[1:]}
    assert por_os["502"][4:12] == [
        "Normal", "", "03/03/2026 08:00", "03/03/2026 09:00", "03/03/2026 10:00",
        "03/03/2026 13:00", "03/03/2026 13:00", "03/03/2026 17:00",
    ]  # fmt: skip
    # A file that names one, or a shop that lists one, is not told so.
    com_nome = texto.replace("Observação,", "Mecânico,").replace("cliente chato", "Rui")
    for n in (1, 2, 3):  # other numbers: new orders
        com_nome = com_nome.replace(f",50{n},", f",60{n},")
    r = importar(app, arquivo(tmp_path, com_nome.replace("média", "Baixa"), "cp1252"))
    assert r.exit_code == 0 and "3 ordens importadas" in r.output and aviso not in r.output
    componente(Mongo, app).db["usuarios"].insert_one(
        {"login": "rui", "nome": "Rui", "funcionario_id": 7, "papel": "mecanico", "ativo": False}
    )
    r = importar(app, arquivo(tmp_path, texto.replace("média", "Baixa"), "cp1252"))
    assert r.exit_code == 0 and aviso not in r.output


def test_utf8_com_uma_linha_de_outra_codificacao_diz_a_linha(app: Flask, tmp_path: Path) -> None:
    """A UTF-8 file (its header's accents) with one line pasted from a Windows-1252 file: the
    refusal names that line and why. Before, the whole file was read as Windows-1252, the
    header's accents broke, and line 1 was refused for columns "missing"."""
    linha = "02/03/2026 08:05;02/03/2026 08:40;02/03/2026 09:30;;02/03/2026 10:00;02/03/2026 11:00"
    texto = f"{MINIMO};Cliente\n1;Alta;{linha};Maria\n2;Alta;{linha};"
    dados = texto.encode() + "João\n".encode("cp1252") + f"3;Alta;{linha};José\n".encode()
    caminho = tmp_path / "misturado.csv"
    caminho.write_bytes(dados)
    r = importar(app, caminho)
    assert r.exit_code == 1
    assert r.output.startswith("Linha 3: um caractere não é UTF-8 (byte 0xE3)"), r.output
    assert "Erro: nada foi importado." in r.output and "Linha 1" not in r.output
    assert fila(app).count_documents({}) == 0


# --- Never the live board, always the indicators and the forecast --------------------------------


def test_importadas_fora_do_quadro_da_tv_e_das_listas(
    app: Flask, api: Api, gerente: Quadro, tmp_path: Path
) -> None:
    """Orders imported as finished a moment ago are not in the board's "finished today",
    its counts, the TV, the API's lists or /historico, and carry nothing for the OS service;
    /indicadores and its export count them. A board's order finished now is the control."""
    controle = api.criar(900, placa="CTL1A00")["fila_id"]
    api.levar_ate(controle, "finalizar-reparo")
    fim = agora() - timedelta(minutes=1)
    texto = "\n".join([
        MINIMO.replace("OS;", "OS;Placa;"),
        *(linha_minima(app, n, fim).replace(f"{n};", f"{n};IMP{n}A00;", 1) for n in (1, 2)),
    ])  # fmt: skip
    assert importar(app, arquivo(tmp_path, texto)).exit_code == 0

    quadro = gerente.pagina()
    assert "CTL1A00" in quadro and "IMP1A00" not in quadro and "IMP2A00" not in quadro
    hoje = componente(Clock, app).inicio_do_dia()
    assert componente(FilaQueries, app).contagens(hoje)["FINALIZADA"] == 1
    token, _ = componente(ConfiguracoesRepository, app).criar_passe("TV", "gerente")
    tv = app.test_client().get(f"/painel?token={token}", follow_redirects=True).text
    assert "CTL1A00" in tv and "IMP1A00" not in tv
    for consulta in ({}, {"status": "FINALIZADA"}):
        lista = api.get("/fila-execucao", query_string=consulta).json
        assert [i["ordem_servico_id"] for i in lista] == [900]
    # /historico: the board's orders finished before today; an imported one is not.
    carregar(componente(FilaService, app), 901, "NORMAL", 101, fim - timedelta(days=1),
             (10, 10, 10, 10, 10), extras={"placa": "ONT1A00"})  # fmt: skip
    linha = linha_minima(app, 3, fim - timedelta(days=1)).replace("3;", "3;IMP3A00;", 1)
    assert importar(app, arquivo(tmp_path, texto + "\n" + linha)).exit_code == 0
    historico = gerente.pagina("/historico")
    assert "ONT1A00" in historico and "IMP3A00" not in historico

    importadas = list(fila(app).find({"importada": True}))
    assert len(importadas) == 3
    assert all("eventos_os" not in d and "os_sync" not in d for d in importadas)
    indicadores = api.get("/indicadores", query_string={"periodo": "7d"}).json
    assert indicadores["finalizadas"] == 5
    exportadas = {linha[0] for linha in linhas(exportado(app))[1:]}
    assert exportadas == {"1", "2", "3", "900", "901"}


def test_historico_importado_nunca_lido_pelas_listas(
    app: Flask, api: Api, gerente: Quadro, tmp_path: Path
) -> None:
    """A shop that imported a long history: the API's lists (all, finished), the board and
    /historico (its page and its count) read the board's orders only, each in its index's
    order, never stepping past the imported ones (which would grow with the file)."""
    abertas = [api.criar(900 + n)["fila_id"] for n in range(3)]
    fim = agora() - timedelta(days=1)
    for n in range(2):
        carregar(componente(FilaService, app), 910 + n, "NORMAL", 101, fim, (10, 10, 10, 10, 10))
    texto = "\n".join(
        [MINIMO, *(linha_minima(app, n, fim - timedelta(hours=n)) for n in range(1, 401))]
    )
    assert importar(app, arquivo(tmp_path, texto)).exit_code == 0
    db = componente(Mongo, app).db
    with consultas_de(db, "fila_execucao") as consultas:
        for consulta in ({}, {"status": "FINALIZADA"}, {"status": "AGUARDANDO"}):
            lista = api.get("/fila-execucao", query_string=consulta).json
            assert len(lista) == {"FINALIZADA": 2, "AGUARDANDO": 3}.get(consulta.get("status"), 5)
        historico = gerente.pagina("/historico")
        quadro = gerente.pagina()
    assert "2 ordens finalizadas antes de hoje." in historico
    assert all(f'id="cartao-{i}"' in quadro for i in abertas)
    lidas = [c for c in consultas if "docsExamined" in c]
    assert len(lidas) >= 6
    for c in lidas:
        assert c["docsExamined"] <= 5 and not c.get("hasSortStage"), (c["command"], c)


def test_importacao_nao_acorda_as_telas(app: Flask, api: Api, tmp_path: Path) -> None:
    """50 imported orders are no change for the live streams (filtered by the server); the
    next change of the board is."""
    broker = componente(Broker, app)
    with broker.assinar() as assinatura:
        assert broker.aguardar_pronto()
        fim = agora() - timedelta(days=1)
        texto = "\n".join([MINIMO, *(linha_minima(app, n, fim) for n in range(1, 51))])
        assert importar(app, arquivo(tmp_path, texto)).exit_code == 0
        api.criar(900)
        evento = assinatura.proximo(timeout=5)
        assert evento is not None and evento.tipo == MUDANCA
        assert evento.documento["ordem_servico_id"] == 900
        assert assinatura.drenar() == []
    assert fila(app).count_documents({"importada": True}) == 50


def test_historico_importado_tira_a_previsao_da_partida_a_frio(
    app: Flask, api: Api, pessoas: dict[str, Quadro], tmp_path: Path
) -> None:
    """Without history the forecast says so and shows no time; 35 imported orders are read
    by the recompute (the order's page says so) and the card gets its "Pronto ~"."""
    fila_id = api.criar(1001, placa="ABC1D23")["fila_id"]
    servico = componente(PrevisaoService, app)
    assert servico.recalcular().motivo == "sem histórico suficiente"
    pagina = pessoas["gerente"].pagina()
    assert "Previsão: sem histórico suficiente" in pagina
    assert "Pronto" not in cartao_html(pagina, fila_id)

    calendario, rng = servico.calendario, random.Random(2)
    linhas_csv = [MINIMO]
    for n in range(1, 36):
        marcos = [calendario.somar(agora() - timedelta(days=rng.uniform(3, 60)), 0.0)]
        for horas in (1.0, 1.0, 2.0, 0.5, 2.0):
            marcos.append(calendario.somar(marcos[-1], horas * 3600 * rng.uniform(0.5, 1.5)))
        linhas_csv.append(";".join([str(n), "Normal", *(local(app, m) for m in marcos)]))
    r = importar(app, arquivo(tmp_path, "\n".join(linhas_csv)))
    assert r.exit_code == 0 and "35 ordens importadas" in r.output

    resumo = servico.recalcular()
    assert resumo.motivo is None and resumo.base_ordens == 35
    pagina = pessoas["gerente"].pagina()
    assert "Pronto" in cartao_html(pagina, fila_id)
    ordem = pessoas["gerente"].pagina(f"/ordens/{fila_id}")
    assert "35 ordens finalizadas nos últimos 90 dias" in ordem
    assert csrf_de(ordem)  # the page works as usual


def test_falha_no_meio_da_gravacao_nao_deixa_nada(app: Flask, api: Api) -> None:
    """The write is all or none too: 2,500 orders whose 2,200th has an OS number the board
    took meanwhile (after the file was checked): the 2,000 already written go again, the
    board's order stays, the refusal names the OS."""
    api.criar(2_200)
    documento = fila(app).find_one({"ordem_servico_id": 2_200})
    fim = fields.como_guardado(agora() - timedelta(days=1))
    documentos = []
    for n in range(1, 2_501):
        d = domain.nova_ordem(n, Prioridade.NORMAL, "importacao", fim - timedelta(hours=3))
        d.update(status=Status.FINALIZADA, dta_fim_reparo=fim, importada=True)
        documentos.append(d)
    with pytest.raises(OrdemJaNaFila) as erro:
        componente(FilaRepository, app).inserir_importadas(iter(documentos), ObjectId())
    assert erro.value.ordem_servico_id == 2_200
    assert list(fila(app).find()) == [documento]
    # Through the service: a recompute that ran while the 2,000 were there may have learned
    # from them, so the failure asks for another, as a success does.
    pedidos = componente(PrevisaoQueries, app).pedidos()
    with pytest.raises(OrdemJaNaFila):
        componente(FilaService, app).importar_historico(iter(documentos))
    assert list(fila(app).find()) == [documento]
    assert componente(PrevisaoQueries, app).pedidos() == pedidos + 1


def test_os_nova_durante_a_gravacao_entra_na_fila_e_a_importacao_se_desfaz(
    app: Flask, api: Api
) -> None:
    """An OS the OS service adds while a file is being written, with a number the run already
    wrote: 201, in the queue, and the run undoes itself naming it. Before, the API answered
    409 "already in the queue" (the run's copy held the number), the run then undid itself,
    and the OS was in no queue at all: the OS service takes a 409 as done and never retries."""
    respostas = []

    def documentos() -> Iterator[dict[str, Any]]:
        for n, d in enumerate(documentos_de(range(1, 2_501)), start=1):
            if n == 1_001:  # the first 1,000 (LOTE_IMPORTACAO) are written, not yet for good
                respostas.append(api.post("/fila-execucao", json={"ordem_servico_id": 500}))
            yield d

    with pytest.raises(OrdemJaNaFila) as erro:
        componente(FilaService, app).importar_historico(documentos())
    assert erro.value.ordem_servico_id == 500
    [resposta] = respostas
    assert resposta.status_code == 201, resposta.json
    assert [d["ordem_servico_id"] for d in fila(app).find()] == [500]  # the live one only
    assert api.get("/fila-execucao/ordem-servico/500").status_code == 200
    assert componente(Mongo, app).db["importacoes_em_curso"].count_documents({}) == 0

    # A run that ended whole: its numbers are history for good, refused as any stored one.
    assert componente(FilaService, app).importar_historico(documentos_de(range(600, 603))) == 3
    repetida = api.post("/fila-execucao", json={"ordem_servico_id": 601})
    assert repetida.status_code == 409 and repetida.json["detail"].startswith(
        "A OS 601 já consta do histórico importado (finalizada)"
    )
    assert componente(Mongo, app).db["importacoes_em_curso"].count_documents({}) == 0


def test_importacao_morta_no_meio_deixa_historico_para_sempre(app: Flask, api: Api) -> None:
    """A run killed mid-way (its process gone) leaves the orders it wrote, which the next run
    of the file completes; once it has written nothing for two minutes its numbers are history
    for good (409), as a run ended well's, never deleted by a live order with that number, and
    the next run clears its document."""
    db = componente(Mongo, app).db
    lote = ObjectId()
    for d in documentos_de(range(700, 703)):
        db["fila_execucao"].insert_one({**d, "importacao": lote})
    antes = datetime.now(UTC) - timedelta(minutes=3)
    db["importacoes_em_curso"].insert_one({"_id": lote, "estado": "gravando", "vivo_em": antes})
    r = api.post("/fila-execucao", json={"ordem_servico_id": 701})
    assert r.status_code == 409 and r.json["detail"].startswith(
        "A OS 701 já consta do histórico importado"
    )
    assert db["fila_execucao"].count_documents({"importacao": lote}) == 3
    assert componente(FilaService, app).importar_historico(documentos_de([704])) == 1
    assert db["importacoes_em_curso"].count_documents({}) == 0


def documentos_de(numeros: Iterable[int]) -> Iterator[dict[str, Any]]:
    fim = fields.como_guardado(agora() - timedelta(days=1))
    for n in numeros:
        d = domain.nova_ordem(n, Prioridade.NORMAL, "importacao", fim - timedelta(hours=3))
        d.update(status=Status.FINALIZADA, dta_fim_reparo=fim, importada=True)
        yield d


def test_historico_da_oficina_simulada_do_benchmark(app: Flask, tmp_path: Path) -> None:
    """The file `make bench-previsao` writes for a simulated shop (the export's format, by
    export.py itself; its "Em espera" columns left at zero while its stages' minutes exclude
    holds) comes in whole, and the forecast's bulk read of the store gives the history the
    benchmark reads from the file: the same priorities, instants and holds per stage."""
    import numpy as np

    from bench.oficina_simulada import FUSO, Parametros
    from bench.previsao import simular_oficina
    from bench.previsao_dados import ler_historico

    simular_oficina(Parametros(semente=5), 1, tmp_path)
    caminho = tmp_path / "historico.csv"
    n = len(linhas(caminho.read_text("utf-8"))) - 1
    r = importar(app, caminho)
    assert r.exit_code == 0, r.output
    assert f"{n} ordens importadas, 0 já existiam." in r.output
    # Which orders, so a typo among hundreds of lines can be found (it said only how many).
    assert re.search(r"as colunas “Em espera” não somam .*: OS \d+ \(linha \d+\)", r.output)

    do_arquivo = ler_historico(caminho, FUSO)
    fim = max(d["dta_fim_reparo"] for d in fila(app).find({}, {"dta_fim_reparo": 1}))
    servico = componente(PrevisaoService, app)
    guardado_ = servico.historico(fim + timedelta(minutes=1))
    assert len(guardado_.prioridade) == n == len(do_arquivo.prioridade)
    ordem_a = np.lexsort(do_arquivo.instantes.T[::-1])
    ordem_b = np.lexsort(guardado_.instantes.T[::-1])
    assert (do_arquivo.prioridade[ordem_a] == guardado_.prioridade[ordem_b]).all()
    # The file's dates are minutes: the store's instants are inside them, holds within them.
    diferenca = guardado_.instantes[ordem_b] - do_arquivo.instantes[ordem_a]
    assert np.nanmin(diferenca) >= 0 and np.nanmax(diferenca) < 60
    assert np.abs(guardado_.pausas[ordem_b] - do_arquivo.pausas[ordem_a]).max() < 66
    assert guardado_.pausas.sum() > 0


def test_cabecalho_largo_e_linhas_curtas_nao_enchem_a_memoria(app: Flask, tmp_path: Path) -> None:
    """A header of the required columns and 100,000 ';', then 300 lines of one field each:
    every line is refused with its reason, in a few MB. Each short line was padded to the
    header's width and kept alive by its refusal's traceback: a 1 MiB file took 3.4 GB, an
    8 MiB one was killed by the kernel."""
    import tracemalloc

    from webapp.indicadores.importer import OBRIGATORIAS

    curtas = ";".join(OBRIGATORIAS) + ";" * 100_000 + "\n" + "1\n" * 300
    # ...and lines as wide as a wide header: their refusals kept every line's fields through
    # the inner refusal's context (79 MB at the peak here; 35 MB without, most of it the 6 MB
    # file as bytes, text and the reader's copy).
    largas = ";".join(OBRIGATORIAS) + ";" * 20_000 + "\n" + ("1" + ";" * 20_000 + "\n") * 300
    for texto in (curtas, largas):
        caminho = arquivo(tmp_path, texto)
        tracemalloc.start()
        try:
            r = importar(app, caminho, "--verificar")
            _, pico = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert r.exit_code == 1
        assert "Linha 2: “Entrada na fila” está vazia" in r.output
        assert "300 linhas recusadas" in r.output
        assert pico < 60 * 2**20, f"{pico / 2**20:.0f} MB"


def test_caminho_que_nao_e_um_arquivo_diz_por_que_em_portugues(app: Flask, tmp_path: Path) -> None:
    """A folder, or a file that is not there: the reason in Portuguese (click's own check
    answered "Path '/tmp' is a directory." in English), exit 1, nothing imported."""
    for caminho, motivo in (
        (tmp_path, "é uma pasta, não um arquivo"),
        (tmp_path / "nao-existe.csv", "arquivo não encontrado"),
    ):
        r = importar(app, caminho)
        assert r.exit_code == 1
        assert f"Erro: não foi possível ler {caminho}: {motivo}." in r.output


def test_algarismos_de_outras_escritas_nao_sao_numeros(app: Flask, tmp_path) -> None:
    """Python's int() and \\d read "٧" (Arabic-Indic 7) as 7: a mechanic's number, a date or
    minutes written so came in as numbers the rest of the app refuses."""
    fim = agora() - timedelta(days=1)
    linha = linha_minima(app, 1, fim)
    data = linha.split(";")[2]  # the entry, "dd/mm/aaaa hh:mm"
    arabe = data.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    r = importar(app, arquivo(tmp_path, "\n".join([MINIMO, linha.replace(data, arabe, 1)])))
    assert r.exit_code == 1 and "“Entrada na fila”: data inválida" in r.stderr, r.stderr
    r = importar(app, arquivo(tmp_path, "\n".join([f"{MINIMO};Mecânico", f"{linha};٧"])))
    assert r.exit_code == 0, r.stderr
    assert fila(app).find_one({"ordem_servico_id": 1})["mecanico_responsavel_id"] is None


def test_horario_que_o_fuso_pulou_e_recusado_como_tal(app: Flask, tmp_path) -> None:
    """04/11/2018 00:10-00:59 never happened in São Paulo (the clocks jumped to 01:00): read
    as 01:10 and later, a line was refused for its order ("vem antes de ... 01:50"), naming a
    time the file does not have."""
    linha = (
        "1;Normal;04/11/2018 00:10;04/11/2018 00:30;04/11/2018 00:40;04/11/2018 00:50;"
        "04/11/2018 01:10;04/11/2018 02:00"
    )
    r = importar(app, arquivo(tmp_path, "\n".join([MINIMO, linha])))
    assert r.exit_code == 1
    assert r.stderr.startswith(
        "Linha 2: “Entrada na fila” (04/11/2018 00:10): este horário não existe no fuso da "
        "oficina (o relógio pulou essa hora)"
    ), r.stderr
    assert fila(app).count_documents({}) == 0


def test_texto_que_comeca_com_apostrofo_volta_como_era(app: Flask, tmp_path: Path) -> None:
    """A customer "'=x" or a vehicle "'@a" went out as written, and the importer took their
    "'" for the export's formula guard: stored "=x", "@a". The export now guards a leading "'"
    too, and the texts come back as they were."""
    textos = ["'=x", "'-", "'@a", "'Gol", "=Uno", "Fiat"]
    aleatorias(app, len(textos), semente=3)
    for k, texto in enumerate(textos):
        fila(app).update_one(
            {"ordem_servico_id": 10_000 + k}, {"$set": {"veiculo": texto, "cliente": texto}}
        )
    r = importar(app, arquivo(tmp_path, exportado(app)))
    assert r.exit_code == 0, r.output  # (all already there: only the file is checked)
    texto_exportado = exportado(app)
    base_vazia(app)
    r = importar(app, arquivo(tmp_path, texto_exportado))
    assert r.exit_code == 0, r.output
    de_volta = {d["ordem_servico_id"] - 10_000: d for d in fila(app).find()}
    assert [de_volta[k]["veiculo"] for k in range(len(textos))] == textos
    assert [de_volta[k]["cliente"] for k in range(len(textos))] == textos


def test_hora_repetida_do_fim_do_horario_de_verao_volta_na_ida_e_volta(
    make_app, tmp_path: Path
) -> None:
    """A shop whose zone has summer time: when clocks go back, 02:00-03:00 happens twice. A
    diagnosis from 02:52 (the first) to 02:42 (the second), fifty real minutes, is exported as
    written on the wall clock; the import read both as the first occurrence, "Fim do
    diagnóstico vem antes do início", and refused the export's own file. The second occurrence
    is read when that alone keeps the stages in order."""
    app = make_app(fuso_horario="Europe/Berlin")

    def importada(linha: str) -> dict:
        resultado = importar(app, arquivo(tmp_path, f"{MINIMO}\n{linha}\n"))
        assert resultado.exit_code == 0, resultado.output
        return fila(app).find_one({"ordem_servico_id": int(linha.split(";")[0])})

    linha = (
        "7001;Normal;25/10/2026 01:30;25/10/2026 02:52;25/10/2026 02:42;"
        "25/10/2026 03:30;25/10/2026 03:40;25/10/2026 05:00"
    )
    item = importada(linha)
    inicio, fim = item["dta_inicio_diagnostico"], item["dta_fim_diagnostico"]
    assert (fim - inicio) == timedelta(minutes=50)  # 00:52 to 01:42 UTC
    # The approval left empty (approved when the repair started): the same reading.
    item = importada(
        "7003;Normal;25/10/2026 01:30;25/10/2026 02:40;25/10/2026 02:50;;"
        "25/10/2026 02:10;25/10/2026 05:00"
    )
    assert item["dta_inicio_reparo"] - item["dta_fim_diagnostico"] == timedelta(minutes=20)
    # A time out of the repeated hour is read as it is: truly before, refused.
    torta = linha.replace("25/10/2026 02:42", "25/10/2026 01:59").replace("7001", "7002")
    resultado = importar(app, arquivo(tmp_path, f"{MINIMO}\n{torta}\n"))
    assert resultado.exit_code == 1 and "vem antes de" in resultado.output


def test_os_com_zeros_a_esquerda_de_qualquer_largura(app: Flask, tmp_path: Path) -> None:
    """A spreadsheet's fixed-width OS numbers: 20 characters for 42 were refused as "não
    um número inteiro positivo (até 9.223.372.036.854.775.807)", which 42 is."""
    fim = agora() - timedelta(days=2)
    texto = "\n".join([MINIMO, linha_minima(app, 1, fim).replace("1;", "0" * 19 + "42;", 1),
                       linha_minima(app, 2, fim).replace("2;", "0" * 25 + "0;", 1)])  # fmt: skip
    r = importar(app, arquivo(tmp_path, texto))
    assert r.exit_code == 1 and "Linha 3: “OS” deve ser maior que zero" in r.stderr
    assert "Linha 2" not in r.stderr and fila(app).count_documents({}) == 0
    r = importar(app, arquivo(tmp_path, texto.rsplit("\n", 1)[0]))
    assert r.exit_code == 0, r.stderr
    assert [d["ordem_servico_id"] for d in fila(app).find()] == [42]
