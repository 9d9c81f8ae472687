//! The locale data behind generated people: first, last and nick names from
//! Germany, France and the Netherlands (accents, particles and apostrophes
//! included), each locale's legal entity, phone style and e-mail domains,
//! and the bookkeeping that keeps work addresses and logins unique.

use std::collections::HashMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::pick;

pub(super) struct Locale {
    pub(super) first_names: &'static [&'static str],
    pub(super) last_names: &'static [&'static str],
    pub(super) nicknames: &'static [&'static str],
    pub(super) legal_entity: &'static str,
    pub(super) personal_domains: &'static [&'static str],
    pub(super) cost_center_offset: u32,
    pub(super) phone: PhoneStyle,
    pub(super) weight: u32,
}

#[derive(Clone, Copy)]
pub(super) enum PhoneStyle {
    German,
    French,
    Dutch,
}

// Kept compact by hand: one name per line would bury the module.
#[rustfmt::skip]
pub(super) const LOCALES: &[Locale] = &[
    Locale {
        first_names: &[
            "Jürgen", "Björn", "Jörg", "Günter", "Uwe", "Sönke", "Matthias", "Lukas", "Felix",
            "Maximilian", "Stefan", "Tobias", "Andreas", "Hans-Peter", "Karl-Heinz", "Florian",
            "Mehmet", "Sabine", "Ursula", "Käthe", "Jana", "Anna", "Lena", "Marie", "Sophie",
            "Hannah", "Leonie", "Katrin", "Bärbel", "Dörte", "Gisela", "Zoë", "Ayşe",
        ],
        last_names: &[
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange",
            "Werner", "Köhler", "Jäger", "Özdemir", "Yılmaz", "Groß", "Weiß", "Lüdenscheidt",
            "von Bülow", "Çelik",
        ],
        nicknames: &["Jo", "Max", "Steffi", "Uli", "Kalle", "Flo", "Lenny", "Bine", "Kathi", "Toni"],
        legal_entity: "Lockgate GmbH",
        personal_domains: &["gmail.example", "web.example"],
        cost_center_offset: 0,
        phone: PhoneStyle::German,
        weight: 50,
    },
    Locale {
        first_names: &[
            "Bérénice", "Françoise", "Geneviève", "Thérèse", "Hélène", "Élodie", "Chloé", "Léa",
            "Zoé", "Anaïs", "Maëlle", "Noémie", "Camille", "Manon", "Inès", "Amélie", "Céline",
            "Marie-Claire", "Jérôme", "François", "Sébastien", "Stéphane", "Frédéric", "Benoît",
            "Léo", "Théo", "Raphaël", "Gaël", "Loïc", "Noël", "Hervé", "Rémi", "Joël", "Jean-Luc",
            "Antoine",
        ],
        last_names: &[
            "Lefèvre", "Dupont", "Durand", "Moreau", "Lefebvre", "Leroy", "Roux", "Fournier",
            "Girard", "Bonnet", "Mercier", "Lambert", "Faure", "Rousseau", "Blanc", "Guérin",
            "Boyer", "Garnier", "Chevalier", "Légaré", "Lemaître", "Gauthier", "Perrin", "Clément",
            "Ménard", "Hébert", "Bélanger", "Côté", "Brûlé", "Ruiz-Péron", "N'Diaye", "D'Aubigné",
            "de La Fontaine", "Benali",
        ],
        nicknames: &["Manu", "Fanfan", "Titi", "Béa", "Lolo", "Flo", "Seb", "Steph", "Fred", "Mimi"],
        legal_entity: "Lockgate SAS",
        personal_domains: &["gmail.example", "orange.example"],
        cost_center_offset: 10,
        phone: PhoneStyle::French,
        weight: 30,
    },
    Locale {
        first_names: &[
            "Daan", "Sem", "Bram", "Thijs", "Jesse", "Ruben", "Joris", "Maarten", "Pieter",
            "Sjoerd", "Wouter", "Gijs", "Koen", "Jeroen", "Søren", "Ruud", "IJsbrand", "Anouk",
            "Sanne", "Femke", "Lotte", "Fleur", "Noor", "Eline", "Ilse", "Marieke", "Inge", "Floor",
            "Anneloes", "Joëlle", "Chloë", "Daniëlle", "Noëlle", "Aafke",
        ],
        last_names: &[
            "de Vries", "van der Berg", "van den Berg", "de Jong", "Jansen", "Bakker", "Visser",
            "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks",
            "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits", "de Graaf",
            "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan", "Vermeulen", "van Dijk",
            "'t Hart", "van 't Hof", "Sørensen",
        ],
        nicknames: &["Kees", "Jo", "Wim", "Sjaak", "Loes", "Mieke", "Tessa", "Fien", "Guus", "Roos"],
        legal_entity: "Lockgate B.V.",
        personal_domains: &["gmail.example"],
        cost_center_offset: 20,
        phone: PhoneStyle::Dutch,
        weight: 20,
    },
];

pub(super) fn phone(rng: &mut ChaCha8Rng, style: PhoneStyle) -> String {
    let landline = rng.random_bool(0.2);
    match style {
        PhoneStyle::German if landline => format!(
            "+49 {} {}",
            pick(rng, &["30", "40", "89", "221", "69", "711"]),
            rng.random_range(1_000_000..10_000_000)
        ),
        PhoneStyle::German => format!(
            "+49 {} {}",
            pick(
                rng,
                &[
                    "151", "152", "157", "160", "162", "170", "171", "172", "176", "178"
                ]
            ),
            rng.random_range(10_000_000..100_000_000)
        ),
        PhoneStyle::French => format!(
            "+33 {} {:02} {:02} {:02} {:02}",
            if landline {
                rng.random_range(1..=5)
            } else {
                rng.random_range(6..=7)
            },
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        PhoneStyle::Dutch if landline => format!(
            "+31 {} {}",
            pick(rng, &["20", "10", "70", "30", "40"]),
            rng.random_range(1_000_000..10_000_000)
        ),
        PhoneStyle::Dutch => format!("+31 6 {}", rng.random_range(10_000_000..100_000_000)),
    }
}

/// Hands out email local parts and logins, adding 2, 3, … to repeats. Base
/// forms never contain digits, so a numbered form can't collide with a base.
#[derive(Default)]
pub(super) struct UniqueNames {
    emails: HashMap<String, u32>,
    logins: HashMap<String, u32>,
}

impl UniqueNames {
    pub(super) fn unique_email(&mut self, base: String) -> String {
        Self::unique(&mut self.emails, base)
    }

    pub(super) fn unique_login(&mut self, base: String) -> String {
        Self::unique(&mut self.logins, base)
    }

    fn unique(seen: &mut HashMap<String, u32>, base: String) -> String {
        if let Some(uses) = seen.get_mut(&base) {
            *uses += 1;
            return format!("{base}{uses}");
        }
        seen.insert(base.clone(), 1);
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_lists_are_large_enough() {
        for locale in LOCALES {
            assert!(locale.first_names.len() >= 25);
            assert!(locale.last_names.len() >= 25);
        }
    }
}
