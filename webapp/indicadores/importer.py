"""Finished orders read back from a CSV, for `flask --app wsgi importar-historico`: the file
/indicadores exports (export.CABECALHO: the round trip) or a minimal one from a spreadsheet
(the same column names, fewer of them). Pure: lines in, validated orders out, every bad line
refused with its number and the reason in Portuguese. No Flask, no database.

Columns are read by name (accents, case and spacing aside), so a spreadsheet may order them
as it likes; each cell is read by cells.py. The export's format is the one with every
interval's minutes: its dates are `dd/mm/aaaa hh:mm` (the minute), while its minutes (holds
excluded) are to the tenth, so the seconds the dates leave out are found again
(reconstruction.py): the stages then measure what the file says, and the holds add up per
reason as its last three columns say.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np

from ..fila import labels
from ..fila.domain import IMPORTADA, MotivoPausa, Prioridade, Status, nova_ordem
from ..fila.fields import como_guardado
from ..fila.stages import INTERVALOS
from ..previsao.calendar import Calendario
from ..text import milhares
from . import cells
from .cells import normalizar
from .export import CABECALHO, DATAS
from .reconstruction import Folgas, reconstruir
from .working_time import em_horario_de_funcionamento

FORMATO_EXPORTACAO = "exportação de /indicadores"
FORMATO_PLANILHA = "planilha (CSV mínimo)"

# The five stages and their six instants, in the workflow's order (the last interval is the
# whole order).
ETAPAS = INTERVALOS[:-1]
TOTAL = INTERVALOS[-1]
INSTANTES = (ETAPAS[0].inicio, *(i.fim for i in ETAPAS))
APROVACAO = "dta_aprovacao_orcamento"

# Column names as the export writes them, by the stored field (dates) or role.
_COLUNA_DA_DATA = {campo: nome for nome, campo in DATAS}
COL_OS, COL_PLACA, COL_VEICULO, COL_CLIENTE, COL_PRIORIDADE, COL_MECANICO = CABECALHO[:6]
COLUNAS_MINUTOS = {i.codigo: f"{labels.INTERVALOS[i.codigo]} (min)" for i in INTERVALOS}
COLUNAS_ESPERA = {m: f"Em espera: {labels.MOTIVOS_PAUSA[m.value]} (min)" for m in MotivoPausa}
# The minimal CSV: these are required (approval may be left empty: approved when the repair
# started, as when the OS service starts a repair)...
OBRIGATORIAS = (COL_OS, *(_COLUNA_DA_DATA[c] for c in INSTANTES))
# ... and these are optional.
OPCIONAIS = (
    COL_PRIORIDADE, COL_PLACA, COL_VEICULO, COL_CLIENTE, COL_MECANICO,
    _COLUNA_DA_DATA["previsao_entrega"],
)  # fmt: skip

_MECANICO_N = re.compile(r"mecanico n[ºo°.]?\s*(\d{1,9})", re.ASCII)  # 0-9 only


class CabecalhoInvalido(ValueError):
    """The first line names no columns this importer knows how to read (the message says why)."""


class LinhaRecusada(ValueError):
    """A line that cannot be imported; `motivo` says why, for people."""

    def __init__(self, linha: int, motivo: str) -> None:
        super().__init__(f"linha {linha}: {motivo}")
        self.linha = linha
        self.motivo = motivo


def _csv_malformado(erro: str, inicio: int, linha: int) -> LinhaRecusada:
    """The csv module's reason (English) in words, on the line to look at: a field too big,
    or a stray character after a closing quote, on a later line than its record began
    (`inicio`) is a quote opened there and left open, which the module notices only lines
    later (`linha`); on that same line, a field too long."""
    if "NUL" in erro:
        return LinhaRecusada(
            linha, "o CSV está malformado: tem um caractere nulo (o arquivo é mesmo um CSV?)"
        )
    if "field larger than field limit" in erro and linha <= inicio:
        limite = milhares(csv.field_size_limit())
        return LinhaRecusada(
            linha, f"um campo desta linha é longo demais (mais de {limite} caracteres)"
        )
    if "unexpected end of data" not in erro and linha > inicio:
        # Too big, or a quote that closed lines later with text after it ('"Fiat ""Toro""'):
        # either way the quote was opened on the record's first line, which is the one to fix.
        return LinhaRecusada(
            inicio,
            "o CSV está malformado: aspas abertas nesta linha não se fecham (o campo seguiria "
            f"até a linha {linha})",
        )
    if "unexpected end of data" in erro:
        return LinhaRecusada(
            inicio,
            "o CSV está malformado: aspas abertas nesta linha não se fecham até o fim do arquivo",
        )
    return LinhaRecusada(linha, "o CSV está malformado: aspas ou quebras de linha fora do lugar")


@dataclass(frozen=True)
class OrdemImportada:
    """A finished order as the file gives it, checked: its instants (UTC, milliseconds) and
    its holds' seconds per stage and reason, as the queue stores them."""

    linha: int
    ordem_servico_id: int
    prioridade: Prioridade
    datas: dict[str, datetime]  # the six instants, and previsao_entrega when given
    pausas_motivo_s: dict[str, dict[str, float]]
    placa: str | None = None
    veiculo: str | None = None
    cliente: str | None = None
    mecanico_responsavel_id: int | None = None
    mecanico_desconhecido: str | None = None  # a name no person of the shop has

    @property
    def fim(self) -> datetime:
        """When its repair ended: when it finished."""
        return self.datas[INSTANTES[-1]]

    @property
    def pausas_s(self) -> dict[str, float]:
        return {etapa: sum(m.values()) for etapa, m in self.pausas_motivo_s.items()}


def linhas_csv(texto: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record, the header first (line 1). The separator is
    the first line's: `;` (the export, Excel in Brazil), `,` or a tab. A UTF-8 BOM is
    dropped; blank lines (and rows of empty cells) are skipped."""
    linhas = iter(texto)
    primeira = next(linhas, "")
    primeira = primeira.removeprefix("\ufeff")
    separador = max((";", ",", "\t"), key=primeira.count)

    def todas() -> Iterator[str]:
        yield primeira
        yield from linhas

    # strict: a quote still open at the end of the file is an error, not a last field that
    # swallowed the lines after it.
    leitor = csv.reader(todas(), delimiter=separador, strict=True)
    fim_anterior = 0
    while True:
        try:
            campos = next(leitor)
        except StopIteration:
            return
        except csv.Error as erro:
            raise _csv_malformado(str(erro), fim_anterior + 1, leitor.line_num) from None
        inicio, fim_anterior = fim_anterior + 1, leitor.line_num
        if any(c.strip() for c in campos):
            yield inicio, campos


@dataclass(frozen=True)
class Leitura:
    """A whole file read: its format, its orders (only meant to be written when `recusas` is
    empty: all or nothing) and every line refused, with its number and why."""

    formato: str | None
    ordens: list[OrdemImportada]
    recusas: list[LinhaRecusada]
    ignoradas: list[str]  # columns of the file that are not read
    # The orders whose holds per reason came from their stages instead (Leitor._pausas).
    esperas_refeitas: list[OrdemImportada] = field(default_factory=list)
    # The stages' minutes were the shop's working time (working_time.py): how many stages'
    # holds were only closed hours, and dropped.
    minutos_uteis: bool = False
    noites_tiradas: int = 0


def ler_arquivo(
    texto: Iterable[str],
    fuso: tzinfo,
    agora: datetime,
    mecanicos: Mapping[str, int] | None = None,
    calendario: Calendario | None = None,
) -> Leitura:
    """Every line of a file checked (`texto`: its lines, decoded), the refusals collected
    rather than stopping at the first, so a shop fixes them all in one go. A header that
    cannot be read is the refusal of its line; a malformed CSV stops the reading there.
    With the shop's `calendario`, an export whose minutes were written in working time is
    told apart and read as such (working_time.py)."""
    linhas = linhas_csv(texto)
    try:
        primeira = next(linhas, None)
        if primeira is None:
            return Leitura(None, [], [LinhaRecusada(1, "o arquivo está vazio")], [])
        numero, cabecalho = primeira
        leitor = Leitor(cabecalho, fuso, agora, mecanicos or {})
    except LinhaRecusada as recusa:
        return Leitura(None, [], [recusa], [])
    except CabecalhoInvalido as erro:
        return Leitura(None, [], [LinhaRecusada(numero, str(erro))], [])
    ordens: list[OrdemImportada] = []
    recusas: list[LinhaRecusada] = []
    try:
        for numero, campos in linhas:
            try:
                ordens.append(leitor.ler(numero, campos))
            except LinhaRecusada as recusa:
                # Kept without its traceback, whose frames hold the line's fields.
                recusas.append(recusa.with_traceback(None))
    except LinhaRecusada as recusa:  # malformed CSV: nothing after it can be trusted
        recusas.append(recusa.with_traceback(None))
    leitura = Leitura(leitor.formato, ordens, recusas, leitor.ignoradas, leitor.esperas_refeitas)
    if calendario is not None and leitor.formato == FORMATO_EXPORTACAO and not recusas:
        return _em_horario_de_funcionamento(leitura, calendario)
    return leitura


def _em_horario_de_funcionamento(leitura: Leitura, calendario: Calendario) -> Leitura:
    """The orders as a file of working-time minutes gives them, when it is one: the holds
    that were only the shop's closed hours dropped."""
    etapas = [i.etapas[0].value for i in ETAPAS]  # the stored keys, the intervals' order
    instantes = np.array(
        [[o.datas[c].timestamp() for c in INSTANTES] for o in leitura.ordens], dtype=np.float64
    )
    por_ordem = (o.pausas_s for o in leitura.ordens)
    pausas = np.array([[p.get(e, 0.0) for e in etapas] for p in por_ordem], dtype=np.float64)
    uteis, so_noite = em_horario_de_funcionamento(instantes, pausas, calendario)
    if not uteis:
        return leitura
    ordens = list(leitura.ordens)
    for i, k in zip(*so_noite.nonzero(), strict=True):
        motivos = {**ordens[i].pausas_motivo_s, etapas[k]: {m.value: 0.0 for m in MotivoPausa}}
        ordens[i] = replace(ordens[i], pausas_motivo_s=motivos)
    return replace(leitura, ordens=ordens, minutos_uteis=True, noites_tiradas=int(so_noite.sum()))


def mecanicos_por_nome(nomes: Mapping[int, str]) -> dict[str, int]:
    """The shop's people by name as the export writes them ({funcionario_id: name} in, the
    name as compared here out); a name two people share names nobody."""
    por_nome: dict[str, int | None] = {}
    for numero, nome in nomes.items():
        chave = normalizar(nome)
        por_nome[chave] = None if chave in por_nome else numero
    return {nome: numero for nome, numero in por_nome.items() if numero is not None}


POR = "importacao"  # who created an imported order, where a board's order names a person


def documento(ordem: OrdemImportada, agora: datetime) -> dict[str, Any]:
    """An imported order as the queue stores a finished one (nova_ordem's fields, then every
    step's instant), marked IMPORTADA. A mechanic's name nobody of the shop has is kept as
    text (`mecanico_nome`), so the export writes it back. No history of steps: the file has
    only their instants."""
    datas = ordem.datas
    extras = {
        "placa": ordem.placa,
        "veiculo": ordem.veiculo,
        "cliente": ordem.cliente,
        "previsao_entrega": datas.get("previsao_entrega"),
    }
    guardado = nova_ordem(
        ordem.ordem_servico_id,
        ordem.prioridade,
        POR,
        datas[INSTANTES[0]],
        {k: v for k, v in extras.items() if v is not None},
    )
    fim = datas[INSTANTES[-1]]
    guardado.update(
        {c: datas[c] for c in INSTANTES[1:]},
        status=Status.FINALIZADA,
        mecanico_responsavel_id=ordem.mecanico_responsavel_id,
        orcamento_aprovado=True,
        etapa_desde=fim,
        dta_atualizacao=fim,
        pausas_s=ordem.pausas_s,
        pausas_motivo_s=ordem.pausas_motivo_s,
        historico=[],
        importada_em=como_guardado(agora),
    )
    guardado[IMPORTADA] = True
    if ordem.mecanico_desconhecido:
        guardado["mecanico_nome"] = ordem.mecanico_desconhecido
    return guardado


@dataclass
class Leitor:
    """Reads one file's lines after its header: the format and the columns come from the
    header (CabecalhoInvalido), each line gives an OrdemImportada or a LinhaRecusada. Keeps
    the OS numbers seen, so a number twice in the file is refused at its second line.

    `mecanicos`: the shop's people by name (normalizar) -> their number; `fuso`: the shop's
    zone, in which dates without an offset are read; `agora`: nothing may end after it."""

    cabecalho: list[str]
    fuso: tzinfo
    agora: datetime
    mecanicos: Mapping[str, int] = field(default_factory=dict)
    formato: str = field(init=False)
    ignoradas: list[str] = field(init=False)  # columns of the file that are not read
    _indice: dict[str, int] = field(init=False)
    _vistas: dict[int, int] = field(init=False, default_factory=dict)
    _posicoes: dict[str, int | None] = field(init=False, default_factory=dict)
    # Orders whose "Em espera" columns did not match their holds (see _pausas).
    esperas_refeitas: list[OrdemImportada] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        indice: dict[str, int] = {}
        for posicao, nome in enumerate(self.cabecalho):
            chave = normalizar(nome)
            if not chave:
                continue
            if chave in indice:
                raise CabecalhoInvalido(f"a coluna “{nome.strip()}” aparece duas vezes")
            indice[chave] = posicao
        self._indice = indice
        conhecidas = {normalizar(c) for c in CABECALHO}
        minutos = [normalizar(c) for c in COLUNAS_MINUTOS.values()]
        if all(c in indice for c in minutos):
            self.formato = FORMATO_EXPORTACAO
            # Files exported before the hold columns existed are read too (holds: "outro").
            exigidas = [normalizar(c) for c in CABECALHO if c not in COLUNAS_ESPERA.values()]
        else:
            self.formato = FORMATO_PLANILHA
            conhecidas = {normalizar(c) for c in (*OBRIGATORIAS, *OPCIONAIS)}
            exigidas = [normalizar(c) for c in OBRIGATORIAS]
        faltam = [c for c in CABECALHO if normalizar(c) in exigidas and normalizar(c) not in indice]
        if faltam:
            raise CabecalhoInvalido(
                "faltam as colunas " + ", ".join(f"“{c}”" for c in faltam)
                + ". A primeira linha deve ter os nomes das colunas: as do arquivo exportado "
                "em /indicadores, ou ao menos " + ", ".join(f"“{c}”" for c in OBRIGATORIAS)
            )  # fmt: skip
        # A nameless column (a spreadsheet's trailing ';') is no column anyone would miss.
        self.ignoradas = [
            nome.strip()
            for nome in self.cabecalho
            if nome.strip() and normalizar(nome) not in conhecidas
        ]
        self._esperas = all(normalizar(c) in indice for c in COLUNAS_ESPERA.values())

    # --- one line ---------------------------------------------------------------------------

    def ler(self, numero: int, campos: list[str]) -> OrdemImportada:
        """The order of line `numero`, or LinhaRecusada saying why not."""
        if len(campos) > len(self.cabecalho):
            raise LinhaRecusada(
                numero,
                f"{len(campos)} campos, mas o cabeçalho tem {len(self.cabecalho)} (um texto "
                "com o separador precisa estar entre aspas)",
            )
        # A short line is read as if its missing fields were empty (_valor), never padded: a
        # header of a million ';' would make every line a million fields.
        try:
            return self._ordem(numero, campos)
        except cells.Recusa as recusa:
            motivo = str(recusa)
        linhas = 1 + sum(c.count("\n") for c in campos)
        if linhas == 1 and len(campos) < len(self.cabecalho):
            # Read as if empty, the missing fields made a bare "“Fim do diagnóstico” está
            # vazia" of a line cut short: said, with the counts.
            tem = labels.quantos(len(campos), "campo", "campos", "nenhum campo")
            motivo += (
                f" (a linha tem {tem} e o cabeçalho {milhares(len(self.cabecalho))}: os que "
                "faltam no fim dela contam como vazios)"
            )
        if linhas > 1 and "aspas abertas nesta linha" not in motivo:  # cells says it already
            # A quote opened and never closed swallows the next lines into this record, which
            # then lacks the fields they had: the real fault is the quote.
            motivo += (
                f" (este registro ocupa {linhas} linhas do arquivo, da {numero} à "
                f"{numero + linhas - 1}: aspas abertas sem fechar?)"
            )
        # Raised out here: a refusal kept for the summary holds no traceback (its frames hold
        # the line's fields), not even through the inner one's context.
        raise LinhaRecusada(numero, motivo)

    def _valor(self, campos: list[str], coluna: str) -> str:
        if coluna not in self._posicoes:  # each name normalised once, not once a line
            self._posicoes[coluna] = self._indice.get(normalizar(coluna))
        posicao = self._posicoes[coluna]
        return campos[posicao].strip() if posicao is not None and posicao < len(campos) else ""

    def _ordem(self, numero: int, campos: list[str]) -> OrdemImportada:
        os_ = cells.numero_os(self._valor(campos, COL_OS), COL_OS)
        if os_ in self._vistas:
            raise cells.Recusa(f"a OS {os_} já apareceu na linha {self._vistas[os_]}")
        datas, precisao = self._datas(campos)
        exportacao = self.formato == FORMATO_EXPORTACAO
        refeitas = False
        if exportacao:
            pausas, refeitas = self._pausas(campos, datas, precisao)
        else:
            pausas = _pausas_por_etapa([0.0] * len(ETAPAS), {})
        mecanico, desconhecido = self._mecanico(self._valor(campos, COL_MECANICO))
        ordem = OrdemImportada(
            linha=numero,
            ordem_servico_id=os_,
            prioridade=cells.prioridade(self._valor(campos, COL_PRIORIDADE)),
            datas={c: como_guardado(v) for c, v in datas.items()},
            pausas_motivo_s=pausas,
            placa=cells.placa(self._valor(campos, COL_PLACA), COL_PLACA),
            veiculo=cells.texto_de_pessoas(self._valor(campos, COL_VEICULO), COL_VEICULO),
            cliente=cells.texto_de_pessoas(self._valor(campos, COL_CLIENTE), COL_CLIENTE),
            mecanico_responsavel_id=mecanico,
            mecanico_desconhecido=desconhecido,
        )
        self._vistas[os_] = numero
        if refeitas:
            self.esperas_refeitas.append(ordem)
        return ordem

    def _datas(self, campos: list[str]) -> tuple[dict[str, datetime], list[float]]:
        """The six instants (and the promise), checked in order and not in the future; the
        approval, when empty, is the repair's start. With each instant its precision in
        seconds (60: the file gave the minute)."""
        datas: dict[str, datetime] = {}
        precisao: list[float] = []
        locais: set[str] = set()  # written on the shop's wall clock (no offset)
        for campo in (*INSTANTES, "previsao_entrega"):
            coluna = _COLUNA_DA_DATA[campo]
            texto = self._valor(campos, coluna)
            if not texto:
                if campo == "previsao_entrega":
                    continue
                if campo != APROVACAO:
                    raise cells.Recusa(f"“{coluna}” está vazia")
                continue
            datas[campo], p = cells.data(texto, coluna, self.fuso)
            if cells.sem_deslocamento(texto):
                locais.add(campo)
            if campo != "previsao_entrega":
                precisao.append(p)
        # The instants in order, each with the column it came from (an empty approval is the
        # repair's start: a refusal names the column that holds the time, never an empty one).
        origem = dict(_COLUNA_DA_DATA)
        if APROVACAO not in datas:
            datas[APROVACAO] = datas["dta_inicio_reparo"]
            origem[APROVACAO] = _COLUNA_DA_DATA["dta_inicio_reparo"]
            if "dta_inicio_reparo" in locais:
                locais.add(APROVACAO)
            posicao = INSTANTES.index(APROVACAO)
            precisao.insert(posicao, precisao[posicao])  # the repair start's
        for antes, depois in zip(INSTANTES, INSTANTES[1:], strict=False):
            if datas[depois] < datas[antes] and depois in locais:
                datas[depois] = self._segunda_vez(datas[depois], datas[antes])
            if datas[depois] < datas[antes]:
                # To the minute, or finer when that alone would read "10:00 vem antes de 10:00".
                for casas in (0, 1, 2):
                    textos = self._local(datas[depois], casas), self._local(datas[antes], casas)
                    if textos[0] != textos[1]:
                        break
                raise cells.Recusa(
                    f"“{origem[depois]}” ({textos[0]}) vem antes de “{origem[antes]}” ({textos[1]})"
                )
        fim = datas[INSTANTES[-1]]
        if fim > self.agora:
            raise cells.Recusa(
                f"“{_COLUNA_DA_DATA[INSTANTES[-1]]}” ({self._local(fim)}) ainda não chegou: "
                "só se importam ordens finalizadas"
            )
        return datas, precisao

    def _segunda_vez(self, instante: datetime, antes: datetime) -> datetime:
        """A wall-clock time of the hour that repeats when clocks go back (a zone with summer
        time), read as its first occurrence: its second one when that alone keeps the stages
        in order, as the export wrote it (02:52 then 02:42, fifty minutes apart)."""
        local = instante.astimezone(self.fuso)
        segunda = local.replace(fold=1).astimezone(UTC)
        repetida = local.fold == 0 and segunda != instante
        return segunda if repetida and segunda >= antes else instante

    def _local(self, instante: datetime, casas: int = 0) -> str:
        """A date as the file's people write it: to the minute; `casas` 1, to the second; 2,
        to the millisecond."""
        local = instante.astimezone(self.fuso)
        texto = local.strftime("%d/%m/%Y %H:%M:%S" if casas else "%d/%m/%Y %H:%M")
        return texto + f",{local.microsecond // 1000:03d}" if casas == 2 else texto

    def _pausas(
        self, campos: list[str], datas: dict[str, datetime], precisao: list[float]
    ) -> tuple[dict[str, dict[str, float]], bool]:
        """The export's holds per stage and reason, from its stages' minutes (holds excluded),
        its whole order's and its minutes on hold per reason; the instants get back the
        seconds the file's dates leave out (datas is updated), so that every figure of the
        file comes out of the store as the file wrote it (reconstruction.reconstruir). With
        them, whether the "Em espera" columns were set aside (they did not match)."""
        textos = [self._valor(campos, COLUNAS_MINUTOS[e.codigo]) for e in ETAPAS]
        liquidos = [
            cells.minutos(t, COLUNAS_MINUTOS[e.codigo]) for t, e in zip(textos, ETAPAS, strict=True)
        ]
        texto_total = self._valor(campos, COLUNAS_MINUTOS[TOTAL.codigo])
        total = cells.minutos(texto_total, COLUNAS_MINUTOS[TOTAL.codigo])
        arredondados = [cells.arredondamento(t) for t in textos]
        folgas = Folgas(arredondados, cells.arredondamento(texto_total))
        esperas: dict[str, float] | None = None
        if self._esperas:
            esperas = {}
            for motivo, coluna in COLUNAS_ESPERA.items():
                texto = self._valor(campos, coluna)
                esperas[motivo.value] = cells.minutos(texto, coluna) or 0.0
                folgas.esperas[motivo.value] = cells.arredondamento(texto)
        instantes = [datas[c] for c in INSTANTES]
        for k, (etapa, liquido) in enumerate(zip(ETAPAS, liquidos, strict=True)):
            bruto = (instantes[k + 1] - instantes[k]).total_seconds()
            if liquido is not None and liquido > bruto + precisao[k + 1] + folgas.etapas[k]:
                raise cells.Recusa(
                    f"“{COLUNAS_MINUTOS[etapa.codigo]}” ({cells.em_minutos(liquido)}) é mais que o "
                    f"tempo entre “{_COLUNA_DA_DATA[etapa.inicio]}” e "
                    f"“{_COLUNA_DA_DATA[etapa.fim]}” ({cells.em_minutos(bruto)})"
                )
        solucao = reconstruir(instantes, precisao, liquidos, total, esperas, folgas)
        refeitas = False
        if solucao is None and esperas is not None:
            # The holds the dates and the stages' minutes leave are not the "Em espera"
            # columns' (a tool that wrote the stages without holds but left those at zero):
            # the stages and the dates are the facts; the columns then only share the holds
            # among the reasons ("outro" when they are all zero).
            solucao = reconstruir(instantes, precisao, liquidos, total, None, folgas)
            if solucao is not None:
                refeitas = True
                novos, por_etapa, _ = solucao
                soma = sum(esperas.values())
                espera = sum(por_etapa)
                partes = {m: espera * v / soma for m, v in esperas.items()} if soma else {}
                solucao = novos, por_etapa, partes or {MotivoPausa.OUTRO.value: espera}
        if solucao is None:
            motivo = _sem_solucao(instantes, liquidos, total, esperas, folgas)
            milhar = next((t for t in [*textos, texto_total] if cells.MILHAR.fullmatch(t)), None)
            if milhar:  # "1.158" from a spreadsheet that wrote 1158 minutes with a separator
                motivo += (
                    f" (“{milhar}” foi lido como {milhar.replace('.', ',')} min: escreva os "
                    "minutos sem separador de milhar)"
                )
            raise cells.Recusa(motivo)
        novos, por_etapa, por_motivo = solucao
        datas.update(zip(INSTANTES, novos, strict=True))
        return _pausas_por_etapa(por_etapa, por_motivo), refeitas

    def _mecanico(self, texto: str) -> tuple[int | None, str | None]:
        """The mechanic's number: "Mecânico nº 7" or "7" as written, a name as the shop's
        people are named; a name nobody has is kept aside (the order comes in without one)."""
        if not texto:
            return None, None
        nome = normalizar(texto.lstrip("'"))
        numero = _MECANICO_N.fullmatch(nome)
        if numero or (nome.isascii() and nome.isdigit()):
            digitos = numero.group(1) if numero else nome
            if len(digitos) > 9 or int(digitos) <= 0:  # 9 digits, as "Mecânico nº N"
                raise cells.Recusa(f"“{COL_MECANICO}”: número inválido ({texto[:20]})")
            return int(digitos), None
        if nome in self.mecanicos:
            return self.mecanicos[nome], None
        return None, cells.texto_de_pessoas(texto.lstrip("'"), COL_MECANICO)


def _sem_solucao(
    instantes: list[datetime],
    liquidos: list[float | None],
    total: float | None,
    esperas: Mapping[str, float] | None,
    folgas: Folgas,
) -> str:
    """Why a line's minutes cannot be the ones of its dates, in the words of its columns."""
    coluna_total = f"“{COLUNAS_MINUTOS[TOTAL.codigo]}”"
    if total is not None and None not in liquidos:
        soma = sum(liq or 0.0 for liq in liquidos)
        if abs(soma - total) > sum(folgas.etapas) + folgas.total:
            return (
                f"as etapas somam {cells.em_minutos(soma)}, mas {coluna_total} diz "
                f"{cells.em_minutos(total)} ({coluna_total} é a soma das etapas, sem o tempo "
                "em espera, não o tempo corrido da entrada ao fim)"
            )
    if total is not None:
        bruto = (instantes[-1] - instantes[0]).total_seconds()
        if total > bruto + cells.MINUTO + folgas.total:
            return (
                f"{coluna_total} ({cells.em_minutos(total)}) é mais que o tempo entre "
                f"“{_COLUNA_DA_DATA[INSTANTES[0]]}” e “{_COLUNA_DA_DATA[INSTANTES[-1]]}” "
                f"({cells.em_minutos(bruto)})"
            )
    return "os minutos das etapas, do total e das esperas não conferem com as datas"


def _pausas_por_etapa(
    por_etapa: list[float], esperas: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Each stage's hold split among the reasons in the shares the file gives for the whole
    order (which stage held for which reason is not in it: exact whenever the order was held
    in one stage or for one reason); without reasons, "outro"."""
    total = sum(esperas.values())
    resultado: dict[str, dict[str, float]] = {}
    for etapa, segundos in zip(ETAPAS, por_etapa, strict=True):
        motivos = {m.value: 0.0 for m in MotivoPausa}
        if segundos > 0:
            if total > 0:
                for motivo, valor in esperas.items():
                    motivos[motivo] = segundos * valor / total
            else:
                motivos[MotivoPausa.OUTRO.value] = segundos
        resultado[etapa.etapas[0].value] = motivos
    return resultado
