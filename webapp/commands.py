"""The flask commands' own refusals in Portuguese: click answers a bad option (an unknown role,
a word where a number goes, a missing --login) in English with exit status 2, before the
command runs. `Comando` and `Grupo` say it in one Portuguese line and exit 1, as the commands'
own refusals do, and write --help's headings and its own line in Portuguese."""

from __future__ import annotations

from typing import Any

import click


def em_portugues(erro: click.UsageError) -> str:
    """What click refused, in the shop's words (its own message is English)."""
    param = getattr(erro, "param", None)
    opcao = (param.opts[0] if param is not None and param.opts else None) or "a opção"
    if isinstance(erro, click.MissingParameter):
        return f"falta {opcao}."
    if isinstance(erro, click.NoSuchOption):
        return f"opção desconhecida: {erro.option_name}."
    if isinstance(erro, click.BadOptionUsage):  # an option at the end, its value missing
        return f"falta o valor de {erro.option_name}."
    if isinstance(erro, click.BadParameter):
        tipo = param.type if param is not None else None
        if isinstance(tipo, click.Choice):
            return f"valor inválido em {opcao}; use {', '.join(map(str, tipo.choices))}."
        if isinstance(tipo, click.IntRange):
            return f"valor inválido em {opcao}; use um número inteiro de {tipo.min} a {tipo.max}."
        if tipo is click.INT:
            return f"valor inválido em {opcao}; use um número inteiro."
        return f"valor inválido em {opcao}."
    return "argumentos a mais ou fora do lugar."


# click's own words in --help (usage, value types, an option's extras), in Portuguese.
_PALAVRAS = (
    ("[OPTIONS]", "[OPÇÕES]"),
    ("COMMAND [ARGS]...", "COMANDO [ARGUMENTOS]..."),
    (" INTEGER RANGE", " INTEIRO"),
    (" INTEGER", " INTEIRO"),
    (" FLOAT", " NÚMERO"),
    (" TEXT", " TEXTO"),
    (" FILENAME", " ARQUIVO"),
    (" FILE", " ARQUIVO"),
    (" PATH", " CAMINHO"),
    ("[required]", "[obrigatória]"),
    ("env var: ", "variável: "),
    ("default: ", "padrão: "),
)


def _traduzir(texto: str) -> str:
    for ingles, portugues in _PALAVRAS:
        texto = texto.replace(ingles, portugues)
    return texto


class _Formatador(click.HelpFormatter):
    """--help in Portuguese: click writes its usage line, headings and extras in English."""

    SECOES = {"Options": "Opções", "Commands": "Comandos", "Arguments": "Argumentos"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, _traduzir(args), "Uso: " if prefix is None else prefix)

    def section(self, name: str) -> Any:
        return super().section(self.SECOES.get(name, name))

    def write_dl(self, rows: Any, *args: Any, **kwargs: Any) -> None:
        super().write_dl([(_traduzir(a), _traduzir(b)) for a, b in rows], *args, **kwargs)


class _Contexto(click.Context):
    formatter_class = _Formatador


class _EmPortugues:
    context_class = _Contexto

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        opcao = super().get_help_option(ctx)  # type: ignore[misc]
        if opcao is not None:
            opcao.help = "Mostra esta ajuda e sai."
        return opcao

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc]
        except click.UsageError as erro:
            click.echo(f"Erro: {em_portugues(erro)} Veja --help.", err=True)
            raise SystemExit(1) from None


class Comando(_EmPortugues, click.Command):
    """A flask command whose option errors are said in Portuguese (exit 1)."""


class Grupo(_EmPortugues, click.Group):
    """A group of flask commands, the same; its subcommands are Comando."""

    command_class = Comando

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        # A subcommand it has not (`os-sync bogus`): click's English usage and exit 2 otherwise.
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError:
            click.echo(f"Erro: comando desconhecido: {args[0]}. Veja --help.", err=True)
            raise SystemExit(1) from None
