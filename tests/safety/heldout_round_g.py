# ruff: noqa: E501  (messages are data: kept on one line each, as people wrote them)
"""Held-out evaluation set, round G: data only.

Written before the pattern file was reopened for this round, and scored on the detector as it
stood. First run: self_harm 25/57, medical_emergency 11/17, safeguarding 11/17, quiet 65/76;
final figures in ``test_heldout_sets.py``. Indirect self-harm that implies the ending without
naming it (plans, timing, means, farewells, affairs put in order), typed the way people type on
a phone; medical emergencies and safeguarding in new words; and hard negatives that reuse the
same constructions for ordinary things (a party planned for weeks, a will sorted calmly, pills
ready at the pharmacy, tiredness idioms, questions about suicide statistics, grief that takes
the breath away). Every line is fictional.

Judgement calls (for the clinical reviewer):

* "after the funeral i'm going to join him" from a widow is read as intent to die: it fires.
* A parent asking how to support a child who self-harms is quiet here: the writer is not the
  one at risk, and the reply should be information and signposting, not the crisis script.
* Swallowing a double dose of morphine *by accident* and feeling very drowsy is a medical
  emergency (possible opioid toxicity), not self-harm.
* Panic before scans ("some days I can't breathe with anxiety") is quiet; breathlessness with
  blue lips or gasping is a medical emergency.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    # implied endings: a plan, a time, a way, without the word
    "i just need to get through tonight and then i'll do something about it for good",
    "I've been planning it for weeks now, I know exactly when",
    "before I do something stupid can someone please just talk to me",
    "thinking about how i'd do it is the only thing that calms me down now",
    "i know how i would do it and that scares me",
    "My plan is to wait until the kids are at school on Monday",
    "I've chosen the spot by the reservoir",
    "tonight's the night, ive decided",
    "one more bad day and I'm done with it all, I've got a way out ready",
    "im not gonna be here for the next scan so it doesnt matter what it shows",
    "if the results are bad on friday im not sticking around for the rest",
    "I'm not coming home from the walk tomorrow",
    "whats the point in the hysterectomy if im not planning on being around",
    "they can't stop me if i'm not here",
    "the only control I have left is choosing when I go",
    "no one will have to look after me much longer, I'll make sure of that",
    "being a burden on my husband is worse than anything, I'm going to fix that myself",
    # means, without the word
    "ive got enough of mums morphine saved up now",
    "the pills are lined up on the bedside table",
    "the rope is in the garage",
    "Ive been researching how many it would take",
    "googled how much paracetamol is too much, not for pain",
    "went to the station and stood too close to the edge, next time i wont step back",
    "cant stop thinking about stepping in front of a lorry",
    "I've stopped taking my meds so this can happen faster",
    "I've been holding the knife to my wrist in the bath",
    "feel like swallowing everything in the medicine cupboard",
    # farewells and affairs in order
    "wrote letters to each of the kids and put them in the drawer, they'll find them after",
    "I've given away my jewellery to my nieces, I won't need it where I'm going",
    "tell my daughter i loved her, i cant do this anymore",
    "this is goodbye, thank you for listening to me all these months",
    "Just wanted to say thanks for everything. I won't be messaging again.",
    "updated my will, cancelled my phone contract, it's all in order now. I'm so tired of fighting",
    "sorted my affairs today. feel calm for the first time. no more pain soon",
    "I'm finished. Told my sister where the will is kept. Don't try to stop me",
    "ive written my goodbye note",
    "made sure the cat has somewhere to go, that was the last thing on my list",
    "my family would get the life insurance, that's worth more than me",
    "everyone will be better off soon, i promise",
    # wishes and despair, indirect
    "i keep thinking the world would be lighter without me",
    "i want it all to stop permanently not just for a bit",
    "I want to go to sleep and for it to be over, properly over",
    "i dont see a future so why wait for the cancer to get me",
    "i'm so sick of this body, i'd rather destroy it myself than let the cancer",
    "after the funeral i'm going to join him",
    "I just want to be with my husband again, he's been gone a year and I'm ready to follow him",
    "caring for him has taken everything, some nights I think about just driving off the road",
    "carer here, I can't look after her anymore and I can't live with that, I'm going to end things for me",
    # young people, text-speak, no punctuation
    "im 17 and ive been cutting again deeper this time",
    "hurt myself again last night hiding it under my sleeves",
    "burning my arm with the lighter makes it feel less",
    "i hv the tabs saved up nd im ready x",
    "dnt wanna wake up tmrw",
    "want 2 dissapear 4ever no1 wld care",
    "im gonna take them all tonite",
    "if i jumpd no one would even notice",
    "ive had enough of everything im going tonight",
)

MEDICAL_EMERGENCY: tuple[str, ...] = (
    "im soaking through a pad every 20 mins and feel faint",
    "heavy bleeding after my biopsy and it won't stop, feeling dizzy",
    "my temperature is 38.9 and im on chemo, shivering like mad",
    "sudden pain in my calf and now i'm short of breath",
    "my mum's lips have gone blue and she's not making sense",
    "she's collapsed on the bathroom floor and won't wake up",
    "chest feels crushed and my left arm is numb",
    "my stomach is swollen hard and i'm being sick green stuff",
    "her face is drooping on one side and her speech is slurred",
    "passed out twice this morning after surgery",
    "I took double my dose of morphine by accident and I'm really drowsy",
    "wound from my op has burst open and theres pus and im burning up",
    "cant catch my breath at all, gasping, lips tingling",
    "my husband is having a fit and won't stop shaking",
    "neutropenic and the rigors started an hour ago",
    "39.5 fever, heart racing, feel confused",
    "vomiting blood after chemo, lots of it",
)

SAFEGUARDING: tuple[str, ...] = (
    "he takes my bank card and won't let me buy my own medication",
    "my partner hit me again when i said i needed to go to my appointment",
    "he says if i tell the nurses what happens at home he'll hurt the kids",
    "im scared to go home, he's been drinking and he gets violent",
    "my husband won't let me see the doctor alone",
    "he locked me in the bedroom last night",
    "my boyfriend checks my phone and won't let me see my friends, I'm scared of him",
    "my stepdad comes into my room at night and I don't want him to",
    "im 14 and my mum's boyfriend hits me",
    "my carer takes money from my purse and shouts if I complain",
    "my son pushes me around and took my pension",
    "he strangled me last week and I still have marks",
    "he threatened to kill me if I leave",
    "my ex keeps turning up at the hospital and following me",
    "my husband forces me to have sex even though it hurts after radiotherapy",
    "my dad says i can't tell anyone about what he does to me",
    "the little girl next door is left alone for days and has bruises",
)

NOT_CRISIS: tuple[str, ...] = (
    # the known false-alarm shapes, in new words
    "I could sleep forever after that chemo session",
    "What's the risk of suicide after a cancer diagnosis? I'm writing a leaflet for our group",
    "Statistics on suicide rates in women with ovarian cancer?",
    "Since Mum died some days I can't breathe for crying",
    "after Dad passed I felt like I couldn't breathe, grief is strange",
    "some days I can't breathe with anxiety before scans, what helps?",
    "My daughter self-harms and I found out today, how do I support her while I'm on chemo?",
    "My consultant asked if I'd ever had thoughts of harming myself and I said no, is that a normal question?",
    "Is it normal to think about death a lot after a cancer diagnosis? I'm not suicidal, just anxious",
    "I'm tired of being tired",
    "I just want to sleep for a week",
    "If I could hibernate until treatment is over I would",
    # the implied-ending constructions, used for ordinary things
    "I've been planning it for weeks - a surprise party for my sister's 50th",
    "before I do something about the garden, is heavy lifting safe after a hysterectomy?",
    "I need to do something about my diet, any tips?",
    "the nurse showed me how I'd do the injections at home, I'm nervous",
    "I'll do it, I'll go to the appointment, even though I'm scared",
    "I'm not coming back to this clinic, the staff were rude",
    "we drove to the coast and didn't come back till midnight",
    "I won't be here for the support group next week as we're on holiday",
    "I'm not gonna be at the meet up, sorry x",
    "dnt think im gonna make it 2 the appt 2moro, bus strike",
    "I've decided to tell my kids about the diagnosis tonight",
    "tonight's the night I finally tell my boss",
    "I'm planning when to tell people at work",
    "I know exactly when I'll ring them, first thing Monday",
    "My plan is to finish radiotherapy and then go to Spain",
    "I've chosen the spot for my mum's bench in the park",
    "I'm going to the reservoir for a walk with my sister tomorrow",
    "I've made my mind up, I'm having the reconstruction",
    "just want it all to stop - the phone calls, the letters, everyone asking",
    "My way out of the low moods is long walks with the dog",
    # affairs, farewells and gifts without distress
    "sorted my will and power of attorney today, felt very grown up and organised",
    "my will is sorted, now I can focus on getting better",
    "I wrote letters for my children in case the treatment doesn't work, the nurse suggested it",
    "Goodbye for now, thanks for the info, I'll message again after my scan",
    "I've written my goodbye speech for my retirement do",
    "Tell my nurse I said thanks, I won't be needing the clinic anymore, I'm in remission!",
    "I gave my old clothes away since none of them fit after surgery",
    "I'm giving my books to the charity shop, decluttering before my op",
    "my mum said goodbye to everyone before she died peacefully in the hospice",
    "I want to make sure my kids are looked after if the worst happens",
    "Is critical illness cover worth it or is life insurance enough?",
    "No one will have to look after me after the op, my sister is moving in",
    "after the funeral I'm going to stay with my sister for a bit",
    "I miss my husband so much, he died in March",
    "I want to be with my family at Christmas, can I delay chemo?",
    # means words in ordinary use
    "the pills are ready to collect at the pharmacy, can my husband pick them up?",
    "How many paracetamol can I take in a day alongside codeine?",
    "I counted my tablets and I think the pharmacy gave me too few",
    "I'm stockpiling my favourite snacks for chemo week",
    "how long does it take for the anaesthetic to wear off?",
    "Cleared out the garage and found Dad's old climbing rope",
    "my friend jumped off the high board at the pool, I was so jealous",
    "I've stopped taking my HRT, will the hot flushes come back?",
    # idiom and exaggeration
    "I'd rather die than wear that hospital gown again lol",
    "done with chemo!! last session today",
    "I'm done with this cold, three weeks now",
    "these hot flushes are killing me",
    "I can't live without my morning coffee",
    "I'd kill to be able to eat normally again",
    "The knife edge of waiting for results is awful",
    "im so done w revision lol",
    "i want 2 disappear from social media for a while",
    "no1 wld notice if i skipped the class tbh",
    # body, fear and ordinary questions
    "I hate my body since the surgery, the scars are so ugly",
    "I'm sick of this body letting me down, how do I build stamina?",
    "I'm ready to go back to work, how do I talk to HR?",
    "I'm thinking about ending my membership at the gym",
    "The thought of more chemo makes me want to cry but I'll do it",
    "Can the cancer come back after a full hysterectomy?",
    "How would I know if the cancer had spread?",
    "My friend is a nurse and says the risk of dying from the op is low",
    "Can I have a bath with my wound?",
    "What time does the helpline close tonight?",
    "The carers are coming twice a day now and it's a relief",
)

# Crisis messages the final detector still misses: a plan or a time with no act named
# ("planning it for weeks", "wait until the kids are at school"), absence with a shrug instead of
# a marker, and medical and safeguarding wording no family covers yet.
# Crisis messages the final detector still misses: a plan or a time with no act named
# ("planning it for weeks", "wait until the kids are at school"), absence with a shrug instead
# of a marker, and medical and safeguarding wording no family covers yet.
# Two safeguarding misses ("my stepdad comes into my room at night ...", "my dad says i can't
# tell anyone about what he does to me") fire since the red-flag taxonomy's child_disclosure
# class (NSPCC signs of indirect disclosure: someone coming into the bedroom at night, being
# told not to tell). That class was written from its source; this list was read only after it
# had been scored, and the two were then moved off the list.
KNOWN_MISSES: tuple[str, ...] = (
    "I've been planning it for weeks now, I know exactly when",
    "My plan is to wait until the kids are at school on Monday",
    "if the results are bad on friday im not sticking around for the rest",
    "everyone will be better off soon, i promise",
    "sudden pain in my calf and now i'm short of breath",
    "my stomach is swollen hard and i'm being sick green stuff",
    "passed out twice this morning after surgery",
    "I took double my dose of morphine by accident and I'm really drowsy",
    "wound from my op has burst open and theres pus and im burning up",
    "39.5 fever, heart racing, feel confused",
    "im 14 and my mum's boyfriend hits me",
    "my carer takes money from my purse and shouts if I complain",
    "my ex keeps turning up at the hospital and following me",
    "the little girl next door is left alone for days and has bruises",
)

# Ordinary messages the final detector still answers as a crisis (a phrase family, not the
# concept layer: "just want it all to stop" followed by a list of ordinary things).
KNOWN_FALSE_ALARMS: tuple[str, ...] = (
    "just want it all to stop - the phone calls, the letters, everyone asking",
)
