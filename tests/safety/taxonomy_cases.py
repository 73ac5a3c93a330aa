"""Examples for each class of the red-flag taxonomy (``classes`` in config/crisis-patterns.json).

For every class: messages that must fire *with that class* (and its category), and near-misses
that must not fire at all. The messages were written from each class's description and source
after the patterns, to test them; they are not held-out figures. Every line is fictional.
"""

from __future__ import annotations

# class id -> (messages that fire with this class, near-misses that stay quiet)
CLASS_CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "self_harm.suicidal_ideation": (
        (
            "I keep thinking I'd be better off dead",
            "some days I wish I could go to sleep and never wake up",
        ),
        (
            "I'm scared of dying before my daughter's wedding",
            "what's the suicide rate after a cancer diagnosis?",
        ),
    ),
    "self_harm.method_or_plan": (
        ("I've worked out the way to do it now", "I know how I will end my life"),
        (
            "we've picked the date for my surgery",
            "I know how I will manage the drive to the hospital",
        ),
    ),
    "self_harm.means_access": (
        ("I've been stockpiling my morphine for weeks",),
        ("I keep my tablets in a locked box so the grandchildren can't reach them",),
    ),
    "self_harm.farewell_or_final_acts": (
        ("I've written my goodbye letters to the kids",),
        ("we had a lovely goodbye party for my colleague today",),
    ),
    "self_harm.overdose_taken": (
        (
            "I took about twenty of my sertraline an hour ago",
            "just swallowed a handful of my painkillers",
            "I've necked 30 of my zopiclone",
        ),
        (
            "I took 2 paracetamol an hour ago for the headache",
            "I take 20 mg of citalopram a day",
            "I watched a documentary about an overdose and couldn't sleep",
        ),
    ),
    "self_harm.self_injury": (
        ("I've been cutting myself again",),
        ("I cut my finger chopping onions",),
    ),
    "medical_emergency.neutropenic_sepsis": (
        (
            "I'm on chemo and my temperature is 38.4",
            "38.1 and shivering, had carboplatin on Tuesday",
            "had my paclitaxel yesterday and I suddenly feel really unwell",
        ),
        (
            "37.1 after chemo, is that a fever?",
            "my temp is 36.8 on chemo, is that normal?",
            "does 37.2 count as a temperature on chemotherapy?",
        ),
    ),
    "medical_emergency.sepsis": (
        (
            "my daughter has a rash that doesn't fade when I press a glass on it",
            "I haven't passed any urine since yesterday and I feel awful",
        ),
        ("I've got a rash on my arm from the plaster", "what is sepsis?"),
    ),
    "medical_emergency.anaphylaxis_or_infusion_reaction": (
        (
            "my lips are swelling up after the infusion",
            "my tongue has swollen and it's hard to swallow",
        ),
        ("my lips are swollen from the cold sores", "can carboplatin cause an allergic reaction?"),
    ),
    "medical_emergency.chest_pain": (
        ("I've got crushing chest pain going down my left arm",),
        ("my chest hurts when I cough",),
    ),
    "medical_emergency.breathlessness": (
        ("I can't breathe properly and my lips are going blue",),
        ("I get out of breath when I walk up the stairs",),
    ),
    "medical_emergency.not_breathing": (
        ("my husband isn't breathing", "I'm doing CPR on my mum now"),
        ("my husband stops breathing in his sleep sometimes, he has sleep apnoea",),
    ),
    "medical_emergency.severe_bleeding": (
        ("the bleeding won't stop and I feel faint", "I've been coughing up blood this morning"),
        ("I had a bit of spotting after my smear",),
    ),
    "medical_emergency.bowel_obstruction": (
        (
            "haven't opened my bowels in five days and I keep vomiting",
            "I can't pass wind, my tummy is rock hard and the pain is unbearable",
        ),
        (
            "I haven't had a poo today, is that normal on tamoxifen?",
            "I've been sick twice since the chemo but I'm keeping water down",
        ),
    ),
    "medical_emergency.spinal_cord_compression": (
        (
            "new back pain and my legs keep giving way",
            "my back is agony and I've lost control of my bladder",
        ),
        (
            "I leak a bit when I sneeze",
            "my feet are numb from the paclitaxel",
            "back ache since surgery and my legs feel heavy after walking",
        ),
    ),
    "medical_emergency.acute_confusion": (
        ("my husband is suddenly confused and doesn't know where he is",),
        (
            "I'm a bit confused about which tablets to take first",
            "mum has dementia and gets confused in the evenings",
            "my dad is confused, he has Alzheimer's",
        ),
    ),
    "medical_emergency.stroke": (
        ("her face is drooping on one side and her speech is slurred",),
        ("my face feels puffy from the steroids",),
    ),
    "medical_emergency.collapse_or_unconscious": (
        ("my dad has collapsed and is unresponsive",),
        ("I collapsed on the sofa after a long day",),
    ),
    "medical_emergency.seizure": (
        ("my sister is having a seizure right now",),
        ("I nearly had a fit when I saw the parking charge",),
    ),
    "medical_emergency.ectopic_or_pregnancy_bleeding": (
        ("I'm 6 weeks pregnant with a sharp pain on my right side",),
        ("what are the symptoms of an ectopic pregnancy?",),
    ),
    "medical_emergency.poisoning": (
        ("I accidentally took a whole extra box of my tablets",),
        ("I forgot to take my tablets this morning",),
    ),
    "medical_emergency.child_ingestion": (
        (
            "I think my 3 year old has swallowed some of my morphine tablets",
            "found my toddler chewing a dishwasher tablet",
        ),
        (
            "my daughter finally managed to swallow her tablets",
            "how do I store tablets safely with a toddler in the house?",
        ),
    ),
    "medical_emergency.sudden_severe_headache_or_head_injury": (
        ("worst headache of my life came on suddenly",),
        ("I get headaches after chemo",),
    ),
    "medical_emergency.severe_pain_with_faintness": (
        ("the pain is unbearable and I feel faint",),
        ("I had bad period pain last month",),
    ),
    "safeguarding.domestic_abuse": (
        ("my husband tried to strangle me last night", "he tried to smother me with a pillow"),
        ("how can I tell if a friend is being abused?",),
    ),
    "safeguarding.domestic_abuse_reported": (
        ("my daughter's boyfriend keeps hitting her",),
        ("my friend's husband hit her years ago but they're fine now",),
    ),
    "safeguarding.sexual_violence": (
        ("I was raped on Saturday and I don't know what to do",),
        ("does rape crisis help people who were abused years ago?",),
    ),
    "safeguarding.child_disclosure": (
        (
            "my step dad keeps coming into my bedroom at night",
            "mum's boyfriend said I must not tell mum what he does",
            "my uncle touches me when nobody is looking",
            "my uncle buys me presents and touches me",
        ),
        (
            "my little boy comes into my bed when he has nightmares",
            "my mum says I can't tell anyone about her surprise party",
            "my stepdad told me not to tell mum about her birthday present",
            "it's our secret, I'm planning a surprise party for mum",
        ),
    ),
    "safeguarding.child_abuse_reported": (
        (
            "my niece told me her stepdad touches her at night",
            "the kids next door are left alone all night with no food",
        ),
        ("my granddaughter told me her teacher is lovely",),
    ),
    "safeguarding.fgm_reported": (
        (
            "my neighbour says they are taking her daughter abroad this summer to be cut",
            "my in-laws want to circumcise my daughter",
        ),
        (
            "my daughter is getting her hair cut tomorrow",
            "what is FGM and does it affect smear tests?",
        ),
    ),
    "safeguarding.fgm": (
        ("my family are sending me abroad to be cut",),
        ("I'm being sent abroad for work in the summer",),
    ),
    "safeguarding.adult_at_risk_reported": (
        (
            "the care home left my mum on the floor for hours",
            "my nan has unexplained bruises on her arms from the nursing home",
            "her carer has been taking her pension",
        ),
        (
            "the care home staff are lovely with my mum",
            "my son takes her money to the post office for her",
        ),
    ),
    "safeguarding.sexual_exploitation": (
        (
            "he says I owe him and makes me have sex with his mates",
            "I have to sleep with men for somewhere to stay",
        ),
        ("my partner and I have sex less since the surgery",),
    ),
    "safeguarding.sexual_exploitation_reported": (
        ("I think my grandson is being groomed and trafficked, he's being sold",),
        ("my grandson is being bullied at school",),
    ),
    "safeguarding.modern_slavery": (
        (
            "they took my passport and I have to work for nothing to pay off the debt",
            "I'm not allowed to leave the car wash",
        ),
        (
            "I'm not allowed to leave the ward until the doctor has seen me",
            "my sister works at a car wash and isn't allowed to leave until 6",
        ),
    ),
}

# Messages in Welsh and Spanish: (message, category, class, language).
LANGUAGE_CASES: tuple[tuple[str, str, str, str], ...] = (
    ("Dw i eisiau marw", "self_harm", "self_harm.suicidal_ideation", "cy"),
    ("dw i'n mynd i ladd fy hun heno", "self_harm", "self_harm.suicidal_ideation", "cy"),
    ("Rwy'n teimlo'n hunanladdol", "self_harm", "self_harm.suicidal_ideation", "cy"),
    ("dwi ddim isio byw rhagor", "self_harm", "self_harm.suicidal_ideation", "cy"),
    ("rydw i wedi torri fy hun eto", "self_harm", "self_harm.self_injury", "cy"),
    ("dw i wedi llyncu'r tabledi i gyd", "self_harm", "self_harm.overdose_taken", "cy"),
    ("dyw Mam ddim yn anadlu", "medical_emergency", "medical_emergency.not_breathing", "cy"),
    (
        "mae gen i boen ofnadwy yn fy mrest",
        "medical_emergency",
        "medical_emergency.chest_pain",
        "cy",
    ),
    (
        "mae hi'n anymwybodol ar y llawr",
        "medical_emergency",
        "medical_emergency.collapse_or_unconscious",
        "cy",
    ),
    ("Mae e'n fy nghuro i bob nos", "safeguarding", "safeguarding.domestic_abuse", "cy"),
    ("mae o wedi bygwth fy lladd", "safeguarding", "safeguarding.domestic_abuse", "cy"),
    (
        "mae fy llystad yn fy nghyffwrdd ac yn dweud mai ein cyfrinach ni yw e",
        "safeguarding",
        "safeguarding.child_disclosure",
        "cy",
    ),
    ("me quiero morir", "self_harm", "self_harm.suicidal_ideation", "es"),
    ("voy a suicidarme esta noche", "self_harm", "self_harm.suicidal_ideation", "es"),
    ("ya no quiero vivir", "self_harm", "self_harm.suicidal_ideation", "es"),
    ("estarían todos mejor sin mí", "self_harm", "self_harm.suicidal_ideation", "es"),
    ("me he tomado todas las pastillas", "self_harm", "self_harm.overdose_taken", "es"),
    ("me corto los brazos", "self_harm", "self_harm.self_injury", "es"),
)

# Near-misses in Welsh and Spanish that must stay quiet.
LANGUAGE_QUIET: tuple[str, ...] = (
    "dw i ddim eisiau marw",
    "beth yw cyfradd hunanladdiad yng Nghymru?",
    "dw i wedi cymryd fy nhabledi bore 'ma",
    "mae'r canlyniadau yn fy nychryn",
    "no quiero morir",
    "me corto el pelo mañana",
    "la prevención del suicidio es importante",
    "la película sobre el suicidio me afectó",
    "me he tomado las pastillas de la mañana",
)

# Numeric guards: a temperature below 37.5 C is not a fever (UKONS / acute oncology threshold).
BELOW_FEVER_THRESHOLD: tuple[str, ...] = (
    "37.1 °C counts as a fever?",
    "I'm on chemo, does 37.1 count as a fever?",
    "temp 37.4 on cycle 3 of carboplatin, is that a temperature?",
    "my temperature is 36.9 after chemo, should I worry about a fever?",
)
AT_OR_ABOVE_FEVER_THRESHOLD: tuple[str, ...] = (
    "38.2 after chemo, shivering",
    "37.5 on chemo and feel hot",
    "temperature 39 degrees, had chemo last week",
    "temp was 37.1 this morning but now 38.6, I'm on chemo",
)

# Fiction and the media are someone else's story.
MEDIA_QUIET: tuple[str, ...] = (
    "upset by a film about an overdose",
    "I watched a documentary about sepsis and now I'm worried",
    "there was a storyline on the soap about domestic abuse",
)
MEDIA_STILL_FIRES: tuple[str, ...] = (
    "after the film about an overdose I took all my tablets",
    "I watched a programme about it and now I want to kill myself",
    "I watched a video on how to tie a noose",
    "I read an article about how many paracetamol it takes to die",
)
