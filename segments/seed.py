"""The demo book's segments with their names (core/labels.py's English words and the
catalogues' Russian and Persian ones), line of business and accounting group: what migration
0002 seeded, what segments_ensure_seeded puts back and what demo_book writes to segments.csv.
Plain constants, so that the demo generator reads them without a database."""

# code, name_en, name_ru, name_fa, line_of_business, accounting_group
SEED = (
    ("individual_occurrence", "individual professionals, occurrence basis",
     "индивидуальные специалисты, на базе наступления события", "متخصصان انفرادی، مبنای وقوع حادثه", "8", "13"),
    ("clinic_claims_made", "clinics, claims-made basis", "клиники, на базе предъявления претензий",
     "درمانگاه‌ها، مبنای اعلام خسارت", "8", "13"),
)
