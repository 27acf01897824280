"""The shop's working calendar: the settings' parsing and working time across nights, weekends,
holidays and lunch breaks, scalar and vectorised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tests.previsao.previsao_fabrica import HORA, local
from webapp.previsao.calendar import (
    Calendario,
    CalendarioInvalido,
    epoch,
    ler_feriados,
    ler_horario,
)

SEM_ALMOCO = Calendario.de_config("seg-sex 08:00-18:00; sab 08:00-12:00", "25/12, 2026-11-20")
COM_ALMOCO = Calendario.de_config("seg-sex 08:00-12:00 13:00-18:00; sab 08:00-12:00")


def horas(cal: Calendario, a: datetime, b: datetime) -> float:
    return cal.uteis_entre(a, b) / HORA


def test_le_o_exemplo_da_issue() -> None:
    horario = ler_horario("seg-sex 08:00-18:00; sab 08:00-12:00")
    assert horario.dias[0] == ((480, 1080),)
    assert horario.dias[4] == ((480, 1080),)
    assert horario.dias[5] == ((480, 720),)
    assert horario.dias[6] == ()  # Sunday closed: not named
    assert horario.segundos_por_semana == (5 * 10 + 4) * 3600


def test_varios_intervalos_por_dia_listas_acentos_e_horas_com_h() -> None:
    horario = ler_horario("Seg, Qua 8h-12h 13h30-18h; SÁB 08:00-12:00")
    assert horario.dias[0] == ((480, 720), (810, 1080))
    assert horario.dias[1] == ()
    assert horario.dias[2] == ((480, 720), (810, 1080))
    assert horario.dias[5] == ((480, 720),)


def test_noite_conta_so_as_horas_de_trabalho() -> None:
    # The issue's example: a repair from 17:00 to 10:00 the next day took 3 working hours.
    assert horas(SEM_ALMOCO, local(2026, 11, 10, 17), local(2026, 11, 11, 10)) == 3


def test_fim_de_semana_sabado_meio_periodo_domingo_fechado() -> None:
    # Friday 17:00 -> Monday 10:00: 1 h Friday, 4 h Saturday, 0 Sunday, 2 h Monday.
    assert horas(SEM_ALMOCO, local(2026, 11, 13, 17), local(2026, 11, 16, 10)) == 7
    assert horas(SEM_ALMOCO, local(2026, 11, 15, 8), local(2026, 11, 15, 18)) == 0


def test_feriados_de_uma_data_e_de_todo_ano() -> None:
    # Thursday 17:00 -> Monday 09:00 over Friday 20/11/2026 (a date): 1 + 0 + 4 + 1.
    assert horas(SEM_ALMOCO, local(2026, 11, 19, 17), local(2026, 11, 23, 9)) == 6
    # 25/12 every year: closed in 2026 and in 2027.
    assert horas(SEM_ALMOCO, local(2026, 12, 25, 0), local(2026, 12, 26, 0)) == 0
    # 25/12/2027 is a Saturday: closed, where the Saturday before opens 4 h.
    assert horas(SEM_ALMOCO, local(2027, 12, 25, 0), local(2027, 12, 26, 0)) == 0
    assert horas(SEM_ALMOCO, local(2027, 12, 18, 0), local(2027, 12, 19, 0)) == 4


def test_almoco_nao_conta() -> None:
    assert horas(COM_ALMOCO, local(2026, 11, 10, 11), local(2026, 11, 10, 14)) == 2
    assert horas(COM_ALMOCO, local(2026, 11, 10, 12, 15), local(2026, 11, 10, 12, 45)) == 0


def test_somar_atravessa_almoco_noite_e_fim_de_semana() -> None:
    fuso = ZoneInfo("America/Sao_Paulo")
    assert COM_ALMOCO.somar(local(2026, 11, 10, 11), 2 * HORA).astimezone(fuso) == local(
        2026, 11, 10, 14
    )
    # Ends exactly at closing: that instant, not the next opening.
    assert COM_ALMOCO.somar(local(2026, 11, 10, 17), HORA).astimezone(fuso) == local(
        2026, 11, 10, 18
    )
    assert COM_ALMOCO.somar(local(2026, 11, 13, 17), 6 * HORA).astimezone(fuso) == local(
        2026, 11, 16, 9
    )


def test_somar_nunca_volta_no_tempo() -> None:
    noite = local(2026, 11, 10, 22)
    assert COM_ALMOCO.somar(noite, 0) == noite.astimezone(UTC)  # zero from a closed hour
    assert COM_ALMOCO.somar(noite, 1) > noite


def test_vetorizado_igual_ao_escalar_e_ida_e_volta() -> None:
    rng = np.random.default_rng(3)
    a = epoch(local(2026, 6, 1)) + rng.uniform(0, 200 * 86_400, 5000)
    b = a + rng.uniform(0, 20 * 86_400, a.size)
    uteis = COM_ALMOCO.uteis_entre(a, b)
    for i in range(0, a.size, 500):
        escalar = COM_ALMOCO.uteis_entre(
            datetime.fromtimestamp(a[i], UTC), datetime.fromtimestamp(b[i], UTC)
        )
        assert uteis[i] == pytest.approx(escalar)
    volta = COM_ALMOCO.somar(a, uteis)
    assert np.all(volta <= b + 1e-6)  # the first instant that much work has passed
    np.testing.assert_allclose(COM_ALMOCO.uteis_entre(a, volta), uteis, atol=1e-6)


def test_ausentes_e_intervalos_invertidos() -> None:
    a = np.array([epoch(local(2026, 11, 10, 9)), np.nan, epoch(local(2026, 11, 10, 9))])
    b = np.array([epoch(local(2026, 11, 10, 8)), epoch(local(2026, 11, 10, 9)), np.nan])
    resultado = COM_ALMOCO.uteis_entre(a, b)
    assert resultado[0] == 0 and np.isnan(resultado[1]) and np.isnan(resultado[2])


def test_fuso_sem_horario_de_verao_e_um_com() -> None:
    # São Paulo has had no DST since 2019: a November day (DST season before) still has 10 h.
    assert horas(SEM_ALMOCO, local(2025, 11, 4, 0), local(2025, 11, 5, 0)) == 10
    # A zone with DST: the 10 local hours of the spring-forward day are still 10 real hours,
    # and an interval across the jump (00:00-04:00 local, 01:00 does not exist) is 3.
    ny = ZoneInfo("America/New_York")
    cal = Calendario.de_config("dom 00:00-04:00 08:00-18:00", "", "America/New_York")
    dia = datetime(2026, 3, 8, tzinfo=ny)
    assert cal.uteis_entre(dia, dia + timedelta(days=1)) / HORA == 13


def test_tabela_cresce_para_datas_distantes() -> None:
    longe = local(2027, 6, 1, 9)
    assert horas(COM_ALMOCO, local(2026, 1, 5, 8), longe) > 2000
    assert COM_ALMOCO.somar(longe, 500 * HORA) > longe + timedelta(days=60)


@pytest.mark.parametrize(
    ("horario", "trecho"),
    [
        ("", "HORARIO_FUNCIONAMENTO vazio"),
        ("seg-sex", "sem horas"),
        ("xyz 08:00-10:00", "'xyz' em 'xyz 08:00-10:00' não é um dia da semana"),
        ("seg 18:00-08:00", "termina antes de começar"),
        ("seg 08:00-25:00", "não é uma hora"),
        ("seg 08:00-12:00 11:00-13:00", "se sobrepõem na seg"),
        ("seg 08:00/12:00", "não é um intervalo de horas"),
        ("seg-ter-qua 08:00-12:00", "não é um dia nem um intervalo de dias"),
    ],
)
def test_horario_invalido_diz_o_motivo_em_uma_linha(horario: str, trecho: str) -> None:
    with pytest.raises(CalendarioInvalido) as erro:
        Calendario.de_config(horario or " ")
    mensagem = str(erro.value)
    assert trecho in mensagem
    assert mensagem.startswith("HORARIO_FUNCIONAMENTO")
    assert "\n" not in mensagem


@pytest.mark.parametrize("feriados", ["31/02", "2026-13-01", "amanhã", "25-12"])
def test_feriado_invalido_diz_o_motivo_em_uma_linha(feriados: str) -> None:
    with pytest.raises(CalendarioInvalido, match=r"^FERIADOS inválido: .* não é uma data"):
        ler_feriados(feriados)


def test_feriados_aceitos() -> None:
    feriados = ler_feriados("01/01; 21/04 2026-11-20,25/12/2026")
    assert (1, 1) in feriados.anuais and (4, 21) in feriados.anuais
    assert {d.isoformat() for d in feriados.datas} == {"2026-11-20", "2026-12-25"}
    assert ler_feriados('["2026-11-20", "25/12/2026", "01/01"]') == ler_feriados(
        "2026-11-20, 25/12/2026, 01/01"
    )


def test_fuso_desconhecido() -> None:
    with pytest.raises(CalendarioInvalido, match="FUSO_HORARIO desconhecido"):
        Calendario.de_config("seg 08:00-12:00", "", "America/Atlantida")


def test_hora_da_semana_no_fuso_da_oficina() -> None:
    instantes = [epoch(local(2026, 11, 9, 8, 30)), epoch(local(2026, 11, 15, 23, 59))]
    assert list(COM_ALMOCO.hora_da_semana(instantes)) == [8, 6 * 24 + 23]  # Monday, Sunday
