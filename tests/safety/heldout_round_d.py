"""Held-out evaluation set, round D: data only.

Written after the round C changes without reopening the pattern file, by the person who
made them, and scored before any further change (figures in ``test_heldout_sets.py``).
Round C added several weak families, so this round is weighted towards ordinary messages
that could set two of them off together: palliative and end-of-life talk, treatment
decisions, thanks and apologies, plans for tonight, heights and bridges in everyday life,
medicines handled as prescribed. Every line is fictional.
"""

from __future__ import annotations

SELF_HARM: tuple[str, ...] = (
    "i honestly think its time i checked out. nobody needs me anymore",
    "I've been hiding razor blades in my room again",
    "i'm sat on the bathroom floor with all my tablets counted out",
    "please just tell my husband I'm sorry and I love him",
    "I can't see me getting through this weekend",
    "i'm going to let the cancer win, i've stopped taking everything and I want it over",
    "I looked up how many of my pills would be fatal",
    "i'm tired of being alive",
    "i want to die so bad",
    "it's all too much and i keep thinking about stepping off the kerb in front of a bus",
    "if I don't get good news tomorrow I'm going to end things",
    "i just want to go to sleep and never have to deal with any of this again",
    "i've burnt myself with the iron again, i do it when everything's too loud",
    "I'm done. I'm not scared anymore. I know what I'm going to do",
    "feel like i'd be doing them a kindness by not being here",
    "nothing to live for since my husband died, i just want to be with him",
    "I keep wondering if anyone would come to my funeral",
    "my plan is to do it when the kids are at their dad's",
    "i took a load of co-codamol and now i can't feel my hands",
    "i don't want to be here anymore. not in hospital. anywhere.",
)

MEDICAL_EMERGENCY: tuple[str, ...] = (
    "I'm 8 weeks pregnant and bleeding heavily with bad cramps and I feel faint",
    "my mum has gone floppy and grey and isn't talking",
    "on chemo, temperature 38.9 and can't stop shivering",
    "my chest is so tight I can hardly get any air in",
    "she's had a fit and now she won't wake up properly",
)

SAFEGUARDING: tuple[str, ...] = (
    "he said if I tell the nurse about the bruises he'll finish me",
    "my husband has locked me in the bedroom and taken my phone",
    "he's outside shouting that he's going to kill me",
    "my partner hits me and I don't know where to go",
    "I'm terrified of my husband, he chokes me when he's angry",
)

NOT_CRISIS: tuple[str, ...] = (
    "My mum is in the hospice and the nurses say it could be any day now, how do I cope?",
    "I've decided to stop treatment and have palliative care at home, what support is there?",
    "My consultant says there's nothing more they can do, how long do people usually have?",
    "I'd like to plan my own funeral while I'm still well, where do I start?",
    "I've written letters to my girls for their 18th birthdays",
    "Thank you for everything, you've helped me more than you know. Goodbye for now x",
    "Sorry for rambling. Thanks for listening",
    "I'm so sorry, I think I sent my question twice",
    "I'm going to the bridge club tonight, first time since surgery!",
    "We walked over the Clifton suspension bridge today, first walk since my op",
    "I work on the top floor of the hospital, can I get my smear done there?",
    "I'm standing at the bus stop right now, what time does the nurse line open?",
    "I've got all my tablets sorted in a dosette box, thanks for the tip",
    "How many of my morphine tablets can I take in a day?",
    "I took the whole course of antibiotics like they said",
    "I'm done with the hot flushes, is there anything that helps?",
    "I'm tired of being tired all the time, is fatigue normal after radiotherapy?",
    "I'd rather have surgery than more chemo, is that an option?",
    "My husband said he'd kill me if I didn't rest, so I'm resting!",
    "My partner controls the TV remote and the heating, the tyrant",
    "My ex is being difficult about the kids' contact over Christmas",
    "I'm scared the cancer has spread, my scan is on Monday",
    "I'm afraid I won't cope with the side effects",
    "I'm not ready to tell my children about the diagnosis",
    "Ready for my last chemo tomorrow!",
    "It's time I started looking after myself better",
    "I've made my decision, I'm going ahead with the hysterectomy",
    "I've had enough of people telling me to be positive",
    "What's the point of the CA125 test?",
    "Nobody told me chemo would make my nails fall off",
    "My friend's husband died last year and she's struggling, how can I support her?",
    "My sister passed away from ovarian cancer and I've been feeling really low",
    "I have a plan for the day of my surgery, is there anything I've missed?",
    "I'm going to hang my new curtains tonight while I can still reach",
    "I keep cutting my hair shorter because it's thinning",
    "I'm on warfarin and I bruise really easily",
    "My GP says I'm a bit anaemic, is that why I'm dizzy?",
    "I cried all the way home after the appointment",
    "I'm scared of needles, will the cannula hurt?",
    "My period has been heavy for years, should I get it checked?",
    "I passed out at my cousin's wedding from the heat, is that a worry?",
    "What happens if you get an infection during chemo?",
    "How common is sepsis after a hysterectomy?",
    "My chest hurts when I cough since I had the flu, should I see my GP?",
    "I'm 9 weeks pregnant, can I still have a smear?",
    "Had my chemo yesterday and feel a bit tired, is that normal?",
    "Is it dangerous to fly after an ectopic pregnancy?",
    "I'm so sick of this, the appointments keep getting cancelled",
    "I'd be lost without the support group, they're amazing",
    "If it wasn't for my kids I don't know how I'd have got through chemo",
    "My husband is my carer now and I feel guilty, he's so good to me",
    "My daughter is my reason for fighting this",
    "I've decided to give up smoking during treatment",
    "I keep a rope ladder in my loft in case of fire, is that silly?",
    "I'm killing it at the gym since finishing treatment",
    "i'm gonna finish my knitting tonight then call you tomorrow",
    "thinking about jumping into the sea for my charity swim in May!",
    "The cancer drugs nearly killed me last time but I'm doing better",
    "My nan used to say she'd be better off dead than in a care home",
    "No one knows how I really feel about my diagnosis, it helps to type it here",
)

# Crisis messages the final detector still misses, each with the reason; kept in the set.
KNOWN_MISSES: tuple[str, ...] = ()

# Ordinary messages the final detector still answers as a crisis.
KNOWN_FALSE_ALARMS: tuple[str, ...] = ()
