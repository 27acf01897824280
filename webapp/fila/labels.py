"""What people read for each code of the queue, in one place (the board, the TV, the detail and
history pages, the forms and the rules' messages all take their words from here)."""

from __future__ import annotations

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
# The same under an "Em espera" heading (the indicators' columns and legend).
MOTIVOS_PAUSA_CURTOS = {
    "aguardando_pecas": "Peças",
    "aguardando_cliente": "Cliente",
    "outro": "Outro motivo",
}

# Each step as a button says it ("Iniciar diagnóstico") and as a rule's message reads it.
PASSOS = {
    "iniciar_diagnostico": "Iniciar diagnóstico",
    "finalizar_diagnostico": "Finalizar diagnóstico",
    "aprovar_orcamento": "Aprovar orçamento",
    "iniciar_reparo": "Iniciar reparo",
    "finalizar_reparo": "Finalizar reparo",
}

# Each action as a refusal names it ("Apenas um gerente pode ..."); a step as its button says it.
FAZER = {
    "criar": "adicionar uma OS à fila",
    **{acao: rotulo.lower() for acao, rotulo in PASSOS.items()},
    "alterar_prioridade": "alterar a prioridade",
    "remover": "remover uma ordem da fila",
    "pausar": "colocar em espera",
    "retomar": "retomar",
    "reenviar_os": "reenviar ao sistema de OS",
    "atribuir": "atribuir o mecânico",
}

# The history of an order, in words.
ACOES = {
    "criar": "Entrou na fila",
    "iniciar_diagnostico": "Iniciou o diagnóstico",
    "finalizar_diagnostico": "Finalizou o diagnóstico",
    "aprovar_orcamento": "Registrou a aprovação do orçamento",
    "iniciar_reparo": "Iniciou o reparo",
    "finalizar_reparo": "Finalizou o reparo",
    "alterar_prioridade": "Alterou a prioridade",
    "pausar": "Colocou em espera",
    "retomar": "Retomou",
    "reenviar_os": "Reenviou ao sistema de OS",
    "atribuir": "Atribuiu o mecânico",
}


def palavra(codigo: object) -> str:
    """Any code of the queue in words (status, priority, sub-stage, hold reason); the code
    itself when it has none."""
    texto = str(codigo)
    for tabela in (STATUS, PRIORIDADES, SUB_ETAPAS, MOTIVOS_PAUSA):
        if texto in tabela:
            return tabela[texto]
    return texto
