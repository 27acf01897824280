"""`flask --app wsgi importar-historico ARQUIVO.csv`: finished orders from the CSV that
/indicadores exports (the round trip) or from a shop's spreadsheet (docs/PREVISAO.md, "Importar
histórico"). Help and messages in Portuguese; the summary on stdout, the refusals on stderr with
exit status 1."""

from __future__ import annotations

import codecs
import errno
import io
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..commands import Comando
from ..components import componente
from ..fila.labels import quantos
from ..fila.repository import OrdemJaNaFila
from ..mongo import Indices
from . import service
from .importer import FORMATO_PLANILHA, OrdemImportada

# A file at most this long: everything it holds is checked in memory before a line is written
# (all or none), about 2.5 KB per line; 16 MiB is some 70,000 lines of the export (the
# forecast's budget is 50,000 finished orders), a few hundred MB at most, within an app
# container's memory. A longer history goes in parts: the import is keyed on the OS number.
TAMANHO_MAXIMO = 16 * 1024 * 1024
RECUSAS_MOSTRADAS = 200  # a file in the wrong format is refused on every line: say the first
EXEMPLOS = 20  # OS numbers of the board named in the summary


def decodificar(dados: bytes) -> str:
    """UTF-8 (the export, with its BOM), else Windows-1252: Excel in Brazil saves "CSV
    (separado por vírgulas)" that way. UTF-16 by its BOM: Excel's "Texto Unicode" (tabs)."""
    if dados.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return dados.decode("utf-16")
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read as the others
    try:
        return dados.decode("utf-8-sig")
    except UnicodeDecodeError as erro:
        antes = dados[: erro.start]
        if antes.isascii():
            return dados.decode("cp1252", errors="replace")
        # UTF-8 accents before the bad byte: a UTF-8 file with a line pasted from another
        # encoding. Read as Windows-1252, its header's accents would break and the refusal
        # would blame line 1: name the line that holds the byte instead.
        raise TextoMisturado(antes.count(b"\n") + 1, dados[erro.start]) from None


class TextoMisturado(ValueError):
    """A UTF-8 file with a byte that is not UTF-8 on line `linha`."""

    def __init__(self, linha: int, byte: int) -> None:
        super().__init__(
            f"Linha {linha}: um caractere não é UTF-8 (byte 0x{byte:02X}), embora as linhas "
            "antes dela sejam: o arquivo mistura codificações (um trecho colado de outro "
            "arquivo?). Corrija a linha ou salve o arquivo de novo como UTF-8."
        )


# Why a file cannot be read, in the shop's words (the system's are in English).
_MOTIVOS_DE_LEITURA = {
    errno.ENOENT: "arquivo não encontrado",
    errno.EISDIR: "é uma pasta, não um arquivo",
    errno.EACCES: "sem permissão de leitura",
}


def _ordens(n: int) -> str:
    return quantos(n, "ordem", "ordens", "0 ordens")


def _lista(ordens: list[OrdemImportada]) -> str:
    nomes = [f"OS {o.ordem_servico_id} (linha {o.linha})" for o in ordens[:EXEMPLOS]]
    resto = len(ordens) - len(nomes)
    return ", ".join(nomes) + (f" e mais {resto}" if resto else "")


@click.command(
    "importar-historico",
    short_help="Importa o histórico de ordens finalizadas de um CSV.",
    cls=Comando,
)
# click's own checks answer in English: the path is checked here, when it is read.
@click.argument("arquivo", type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--verificar", is_flag=True, help="Só confere o arquivo e diz o que faria; não grava nada."
)
@with_appcontext
def importar_historico(arquivo: Path, verificar: bool) -> None:
    """Importa ordens finalizadas de um CSV, para a previsão e os indicadores.

    ARQUIVO é o CSV exportado em /indicadores ("Baixar as ordens finalizadas") ou o CSV mínimo
    de uma planilha (OS, Entrada na fila, Início do diagnóstico, Fim do diagnóstico,
    Aprovação do orçamento, Início do reparo, Fim do reparo; Prioridade opcional), ou - para
    ler da entrada padrão. Tudo ou nada: com uma linha recusada, nada é gravado. Uma OS que
    já está na base (importada antes ou do quadro) fica como está: rodar de novo não muda
    nada. As ordens importadas não aparecem no quadro, na TV nem nas listas da API."""
    try:
        if str(arquivo) == "-":
            dados = sys.stdin.buffer.read(TAMANHO_MAXIMO + 1)
        else:
            with arquivo.open("rb") as entrada:
                dados = entrada.read(TAMANHO_MAXIMO + 1)
    except OSError as erro:
        motivo = _MOTIVOS_DE_LEITURA.get(erro.errno or 0, erro.strerror or str(erro))
        click.echo(f"Erro: não foi possível ler {arquivo}: {motivo}.", err=True)
        raise SystemExit(1) from None
    if len(dados) > TAMANHO_MAXIMO:
        click.echo(
            f"Erro: arquivo grande demais (mais de {TAMANHO_MAXIMO // 2**20} MiB, umas 70 mil "
            "linhas da exportação). Divida-o em partes e importe uma de cada vez: a importação "
            "é pela OS, então uma linha repetida entre partes não duplica nada. Nada foi "
            "importado.",
            err=True,
        )
        raise SystemExit(1)
    componente(Indices).criar()  # the unique OS number first: the import is keyed on it
    try:
        linhas = io.StringIO(decodificar(dados), newline="")
    except TextoMisturado as erro:
        click.echo(f"{erro}\nErro: nada foi importado.", err=True)
        raise SystemExit(1) from None
    try:
        resultado = service.importar(linhas, verificar=verificar)
    except OrdemJaNaFila as erro:
        click.echo(
            f"Erro: a OS {erro.ordem_servico_id} foi gravada por outro caminho (a fila, ou "
            "outra importação ao mesmo tempo) enquanto o arquivo era importado. Nada foi "
            "importado; rode o comando de novo.",
            err=True,
        )
        raise SystemExit(1) from None
    leitura = resultado.leitura
    if leitura.recusas:
        for recusa in leitura.recusas[:RECUSAS_MOSTRADAS]:
            click.echo(f"Linha {recusa.linha}: {recusa.motivo}", err=True)
        resto = len(leitura.recusas) - RECUSAS_MOSTRADAS
        if resto > 0:
            click.echo(
                f"... e mais {quantos(resto, 'linha recusada', 'linhas recusadas', '')}.", err=True
            )
        n = len(leitura.recusas)
        click.echo(
            f"Erro: nada foi importado: {quantos(n, 'linha recusada', 'linhas recusadas', '')}. "
            "Corrija o arquivo e rode de novo.",
            err=True,
        )
        raise SystemExit(1)
    if not leitura.ordens:
        click.echo("Nenhuma ordem no arquivo (só o cabeçalho); nada a importar.")
        return
    click.echo(f"Formato: {leitura.formato}.")
    if leitura.ignoradas:
        click.echo("Colunas ignoradas: " + ", ".join(f"“{c}”" for c in leitura.ignoradas) + ".")
    # Read as working time, the holds the "Em espera" columns were compared with were mostly
    # the nights: that count says nothing of the file.
    if leitura.esperas_refeitas and not leitura.minutos_uteis:
        click.echo(
            f"Em {_ordens(len(leitura.esperas_refeitas))} as colunas “Em espera” não somam as "
            "esperas que as datas e os minutos das etapas deixam: essas esperas entraram "
            "pelas etapas, como “Outro motivo” (ou na proporção das colunas): "
            f"{_lista(leitura.esperas_refeitas)}."
        )
    if leitura.minutos_uteis:
        click.echo(
            "Os minutos das etapas do arquivo estão em horário de funcionamento "
            "(HORARIO_FUNCIONAMENTO: noites, fins de semana e feriados fora), não no relógio "
            f"como os exporta /indicadores: lidos assim. Em "
            f"{quantos(leitura.noites_tiradas, 'etapa', 'etapas', 'nenhuma etapa')}, "
            "o tempo entre as datas além dos minutos era só a oficina fechada, não uma espera."
        )
    um = resultado.importadas == 1
    if verificar:
        verbo = "seria importada" if um else "seriam importadas"
    else:
        verbo = "importada" if um else "importadas"
    existiam = "já existia" if resultado.ja_existiam == 1 else "já existiam"
    click.echo(f"{_ordens(resultado.importadas)} {verbo}, {resultado.ja_existiam} {existiam}.")
    if resultado.no_quadro:
        click.echo(
            f"Destas, {_ordens(len(resultado.no_quadro))} do quadro, "
            f"{'mantida como está' if len(resultado.no_quadro) == 1 else 'mantidas como estão'}: "
            f"{_lista(resultado.no_quadro)}."
        )
    if resultado.importadas and leitura.formato == FORMATO_PLANILHA:
        # Hidden from every screen, an imported number still holds its place in the queue.
        click.echo(
            "Os números de OS importados ficam reservados: o sistema de OS não conseguirá pôr "
            "na fila uma OS nova com um deles. Use os números do próprio sistema de OS."
        )
    sem_mecanico = sorted({o.mecanico_desconhecido for o in leitura.ordens
                           if o.mecanico_desconhecido})  # fmt: skip
    if sem_mecanico:
        click.echo(
            # A name matches a mechanic only (a person with an employee number): the
            # forecast counts mechanics, and an admin named alike is no mechanic.
            "Nomes que não são de mecânicos cadastrados (guardados só como nome): "
            + ", ".join(sem_mecanico[:EXEMPLOS])
            + ("…" if len(sem_mecanico) > EXEMPLOS else "")
            + "."
        )
    if resultado.mecanicos_pelos_carros:
        click.echo(
            "O arquivo não diz os mecânicos, e nenhum está cadastrado em /pessoas: a previsão "
            "os conta pelos carros em diagnóstico ou reparo ao mesmo tempo, e um carro parado "
            "por peças conta como em serviço (a conta pode passar da oficina, e as previsões "
            "saírem cedo). Cadastre os mecânicos em /pessoas, ou dê ao arquivo a coluna "
            "“Mecânico”."
        )
    _dizer_da_previsao(resultado, verificar)
    if verificar:
        click.echo("Só conferência (--verificar): nada foi gravado.")


def _dizer_da_previsao(resultado: service.Importacao, verificar: bool) -> None:
    """What the forecast will learn from: an import of orders finished long ago changes the
    indicators of their days, not the forecast, and the shop should hear why."""
    base = resultado.previsao
    if base is None:
        return
    dias = f"nos últimos {base.janela_dias} dias"
    if resultado.fora_da_janela:
        n = resultado.fora_da_janela
        click.echo(
            f"{_ordens(n)} do arquivo {'terminou' if n == 1 else 'terminaram'} antes dos "
            f"últimos {base.janela_dias} dias (PREVISAO_JANELA_DIAS): "
            f"{'conta' if n == 1 else 'contam'} nos indicadores, não na previsão."
        )
    verbo = "aprenderia" if verificar else "aprende"
    finalizadas = "finalizada" if base.ordens == 1 else "finalizadas"
    frase = f"A previsão {verbo} com {_ordens(base.ordens)} {finalizadas} {dias}"
    if base.suficiente:
        click.echo(f"{frase}.")
    else:
        click.echo(
            f"{frase}: abaixo do mínimo de {base.minimo} (PREVISAO_HISTORICO_MINIMO), "
            "ela mostra “sem histórico suficiente” e nenhum horário."
        )


COMANDOS = (importar_historico,)
