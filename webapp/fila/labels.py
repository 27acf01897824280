"""What people read for each code of the queue, in one place (the board, the TV, the detail and
history pages, the forms and the rules' messages all take their words from here)."""

from __future__ import annotations

from collections.abc import Mapping

STATUS = {
    "AGUARDANDO": "Aguardando",
    "EM_DIAGNOSTICO": "Em diagnóstico",
    "EM_REPARO": "Em reparo",
    "FINALIZADA": "Finalizada",
}
# The board's columns; the last one lists only what was finished today.
COLUNAS = {**STATUS, "FINALIZADA": "Finalizadas hoje"}

PRIORIDADES = {"URGENTE": "Urgente", "ALTA": "Alta", "NORMAL": "Normal", "BAIXA": "Baixa"}

# What an AGUARDANDO order waits for: long on the board, short on the TV's narrow columns.
SUB_ETAPAS = {
    "aguardando_diagnostico": "Aguardando diagnóstico",
    "aguardando_aprovacao": "Aguardando aprovação do orçamento",
    "pronta_para_reparo": "Aprovada, pronta para reparo",
}
SUB_ETAPAS_CURTAS = {
    "aguardando_diagnostico": "Aguardando diagnóstico",
    "aguardando_aprovacao": "Aguardando aprovação",
    "pronta_para_reparo": "Pronta para reparo",
}

# How far an order's steps got to the shop's OS service (outbox.resumo).
SINCRONIZACAO = {
    "sincronizado": "recebeu tudo",
    "pendente": "envio pendente",
    "desligada": "envio desligado",
    "falhou": "envio não concluído",
}

# The intervals the manager's indicators measure (fila.stages.INTERVALOS), holds excluded.
INTERVALOS = {
    "espera_diagnostico": "Espera pelo diagnóstico",
    "diagnostico": "Diagnóstico",
    "espera_aprovacao": "Espera pela aprovação",
    "espera_reparo": "Espera pelo reparo",
    "reparo": "Reparo",
    "total": "Do início ao fim",
}

MOTIVOS_PAUSA = {
    "aguardando_pecas": "Aguardando peças",
    "aguardando_cliente": "Aguardando cliente",
    "outro": "Outro motivo",
}
# A hold on the TV, in the board's words, whole on one line (its colour says it is a hold).
MOTIVOS_PAUSA_TV = {**MOTIVOS_PAUSA, "outro": "Em espera"}  # "Outro motivo" alone says nothing
# The same under an "Em espera" heading (the indicators' columns and legend).
MOTIVOS_PAUSA_CURTOS = {
    "aguardando_pecas": "Peças",
    "aguardando_cliente": "Cliente",
    "outro": "Outro motivo",
}

# A card's time in its stage, read aloud past its amber and red thresholds; a promise passed.
# The board says them as it renders and as it ticks (quadro-relogio.js takes them from the
# page's #quadro, data-palavras): one wording.
LEITURA_ALERTA = {"atencao": " (atenção)", "atraso": " (atrasado)"}
ENTREGA_ATRASADA = " · atrasada"
ENTREGUE_DEPOIS = " · finalizada depois"  # a finished order's promise it missed

# Each step as a button says it ("Iniciar diagnóstico") and as a rule's message reads it.
PASSOS = {
    "iniciar_diagnostico": "Iniciar diagnóstico",
    "finalizar_diagnostico": "Finalizar diagnóstico",
    "aprovar_orcamento": "Aprovar orçamento",
    "iniciar_reparo": "Iniciar reparo",
    "finalizar_reparo": "Finalizar reparo",
}

# The text a step asks for (domain.Passo.campo_texto), as its form labels it.
CAMPOS_TEXTO = {"diagnostico": "Diagnóstico", "observacoes_reparo": "Observações do reparo"}
PREVISAO_ENTREGA = "Entrega prometida"  # the promised time, wherever it is shown or typed

# Each action as a refusal names it ("Apenas um gerente pode ..."); a step as its button says it.
FAZER = {
    "criar": "adicionar uma OS à fila",
    **{acao: rotulo.lower() for acao, rotulo in PASSOS.items()},
    "alterar_prioridade": "mudar a prioridade",
    "remover": "remover uma ordem da fila",
    "pausar": "colocar em espera",
    "retomar": "retomar",
    "reenviar_os": "reenviar ao sistema de OS",
    "atribuir": "atribuir o mecânico",
    "adotar_previsao": "adotar a previsão como entrega prometida",
    "alterar_promessa": "mudar a entrega prometida",
}

# The history of an order, in words, after who did it ("Marcos iniciou o diagnóstico").
ACOES = {
    "criar": "adicionou à fila",
    "iniciar_diagnostico": "iniciou o diagnóstico",
    "finalizar_diagnostico": "finalizou o diagnóstico",
    "aprovar_orcamento": "registrou a aprovação do orçamento",
    "iniciar_reparo": "iniciou o reparo",
    "finalizar_reparo": "finalizou o reparo",
    "alterar_prioridade": "mudou a prioridade",
    "pausar": "colocou em espera",
    "retomar": "tirou da espera",
    "reenviar_os": "reenviou ao sistema de OS",
    "atribuir": "atribuiu o mecânico",
    "adotar_previsao": "adotou a previsão como entrega prometida",
    "alterar_promessa": "mudou a entrega prometida",
}

# An assignment in a refusal's "who did it" ("Gabriela atribuiu a ordem a Paula às 10:32").
ATRIBUIU_A = "atribuiu a ordem a {para}"

# A change as one sentence, for the board's status line and screen readers: who did what to which
# order ("Ana atribuiu a OS 1003 (PXT7A10) a Marcos"). `os`: "OS 1003 (PXT7A10)"; `para`: the new
# priority, hold reason, mechanic or promised time, in words.
FRASES = {
    "criar": "{quem} adicionou a {os} à fila",
    "iniciar_diagnostico": "{quem} iniciou o diagnóstico da {os}",
    "finalizar_diagnostico": "{quem} finalizou o diagnóstico da {os}",
    "aprovar_orcamento": "{quem} registrou a aprovação do orçamento da {os}",
    "iniciar_reparo": "{quem} iniciou o reparo da {os}",
    "finalizar_reparo": "{quem} finalizou o reparo da {os}",
    "alterar_prioridade": "{quem} mudou a prioridade da {os} para {para}",
    "pausar": "{quem} colocou a {os} em espera: {para}",
    "retomar": "{quem} tirou a {os} da espera",
    "reenviar_os": "{quem} reenviou a {os} ao sistema de OS",
    "atribuir": "{quem} atribuiu a {os} a {para}",
    "adotar_previsao": "{quem} prometeu a {os} para {para}",
    "alterar_promessa": "{quem} mudou a entrega prometida da {os} para {para}",
}
# No promised time, in the history's "de nenhuma para 09/12 15:30"; cleared, the sentence.
SEM_PROMESSA = "nenhuma"
PROMESSA_TIRADA = "{quem} tirou a entrega prometida da {os}"

# Who acted when it was not a person of the shop: the `por` of the history and of the people's
# record, and how a sentence names them.
SISTEMA_OS = "sistema-os"  # the shop's OS service, calling from its trusted network
DEMONSTRACAO = "seed-demo"  # the demo queue (`flask seed-demo`)
LINHA_DE_COMANDO = "linha-de-comando"  # the people's commands (`flask create-user`, ...)
ATORES = {
    SISTEMA_OS: "o sistema de OS",
    DEMONSTRACAO: "a demonstração",
    LINHA_DE_COMANDO: "a linha de comando",
}


def autor(por: str | None, nomes: Mapping[str, str], inicio: bool = False) -> str:
    """Who did something, in words: a person's name (`nomes`: login -> name), a system ("o
    sistema de OS"), or else an integration by its token's id ("a integração 7"). `inicio`: it
    starts a sentence (or a table cell)."""
    texto = (nomes.get(por) or ATORES.get(por) or f"a integração {por}") if por else "alguém"
    return texto[:1].upper() + texto[1:] if inicio else texto


def mecanico(numero: int, nomes: Mapping[int, str]) -> str:
    """A mechanic by name (`nomes`: funcionario_id -> name), or by the number the order
    carries when nobody of the shop has it: "Mecânico nº 7" (the export's form, which the
    importer reads back)."""
    return nomes.get(numero) or f"Mecânico nº {numero}"


def quantos(n: int, um: str, varios: str, nenhum: str) -> str:
    """A count in words that agree with it: "nenhuma ordem", "1 ordem", "3 ordens"."""
    if n == 0:
        return nenhum
    return f"{n} {um if n == 1 else varios}"


def palavra(codigo: object) -> str:
    """Any code of the queue in words (status, priority, sub-stage, hold reason); the code
    itself when it has none."""
    texto = str(codigo)
    for tabela in (STATUS, PRIORIDADES, SUB_ETAPAS, MOTIVOS_PAUSA):
        if texto in tabela:
            return tabela[texto]
    return texto
