"""Deterministic names of the demo book's insureds: Russian names for rouble policies,
Persian names for rial policies, numbered clinics."""
from __future__ import annotations

import numpy as np

RU_SURNAMES = np.array([
    "Иванова", "Смирнова", "Кузнецова", "Попова", "Васильева", "Петрова", "Соколова", "Михайлова",
    "Новикова", "Федорова", "Морозова", "Волкова", "Алексеева", "Лебедева", "Семенова", "Егорова",
    "Павлова", "Козлова", "Степанова", "Николаева", "Орлова", "Андреева", "Макарова", "Захарова",
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Петров", "Соколов", "Морозов", "Волков",
], dtype=object)
RU_INITIALS = np.array(list("АБВГДЕЖЗИКЛМНОПРСТЮЯ"), dtype=object)
FA_GIVEN = np.array([
    "Maryam", "Fatemeh", "Zahra", "Leila", "Sara", "Narges", "Mahsa", "Parisa", "Elham", "Roya",
    "Ali", "Reza", "Mohammad", "Hossein", "Mehdi", "Amir", "Hamid", "Saeed",
], dtype=object)
FA_SURNAMES = np.array([
    "Ahmadi", "Hosseini", "Karimi", "Rezaei", "Moradi", "Mohammadi", "Jafari", "Rahimi", "Hashemi",
    "Ghasemi", "Sadeghi", "Kazemi", "Ebrahimi", "Bagheri", "Mousavi", "Najafi", "Tehrani", "Shirazi",
], dtype=object)
CLINIC_NAMES = np.array([
    "Здоровье", "Медицина+", "Семейный доктор", "Улыбка", "Мать и дитя", "Городская клиника",
    "Центр реабилитации", "Диагностический центр", "Дент-Стоматология", "Клиника доктора Орлова",
], dtype=object)


def insured_names(segment: np.ndarray, currency: np.ndarray, a: np.ndarray, b: np.ndarray,
                  insured_id: np.ndarray) -> np.ndarray:
    """One name per insured from two random integers each (no commas, so CSV needs no quotes)."""
    ru = (RU_SURNAMES[a % len(RU_SURNAMES)] + " " + RU_INITIALS[b % len(RU_INITIALS)] + ". "
          + RU_INITIALS[(b // 32) % len(RU_INITIALS)] + ".")
    fa = FA_GIVEN[a % len(FA_GIVEN)] + " " + FA_SURNAMES[b % len(FA_SURNAMES)]
    clinic = ("ООО «" + CLINIC_NAMES[a % len(CLINIC_NAMES)].astype(object) + "» №"
              + insured_id.astype(str).astype(object))
    return np.where(segment == 1, clinic, np.where(currency == 1, fa, ru))
