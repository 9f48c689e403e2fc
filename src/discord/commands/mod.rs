//! The slash commands. Each parses its options, calls one service function and renders the
//! answer; names and options are DESIGN.md's contract.

mod charter;
mod checkin;
mod digest;
mod learn;
mod members;
mod privacy;
pub(crate) mod setup;
mod teams;

use poise::serenity_prelude as serenity;

use super::context::{Data, Error};

/// Every command, as registered with Discord.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    vec![
        learn::help(),
        learn::principle(),
        learn::principles(),
        learn::tip(),
        learn::practice(),
        checkin::checkin(),
        checkin::commitments(),
        digest::digest(),
        setup::setup(),
        members::me(),
        members::remind(),
        members::away(),
        privacy::mydata(),
        privacy::forget(),
        teams::team(),
        charter::charter(),
        charter::thanks(),
    ]
}

/// A string option with fixed choices. poise's own choice parameters are integer-indexed;
/// DESIGN.md names string values (`yes`, `mon`, `en`), so this declares them as such.
macro_rules! string_choices {
    ($(#[$doc:meta])* $name:ident { $($value:literal => $vi:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        #[async_trait::async_trait]
        impl poise::SlashArgument for $name {
            async fn extract(
                _: &serenity::Context,
                _: &serenity::CommandInteraction,
                value: &serenity::ResolvedValue<'_>,
            ) -> Result<Self, poise::SlashArgError> {
                match value {
                    serenity::ResolvedValue::String(s) => Ok(Self((*s).to_owned())),
                    _ => Err(poise::SlashArgError::new_command_structure_mismatch("expected a string")),
                }
            }

            fn create(b: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
                b.kind(serenity::CommandOptionType::String)
                    $(.add_string_choice_localized($value, $value, [("vi", $vi)]))*
            }
        }
    };
}

string_choices!(
    /// `kept`: how the open commitment went.
    KeptChoice { "yes" => "có", "partly" => "một phần", "no" => "không" }
);
string_choices!(
    /// A day of the week.
    DayChoice {
        "mon" => "thứ hai", "tue" => "thứ ba", "wed" => "thứ tư", "thu" => "thứ năm",
        "fri" => "thứ sáu", "sat" => "thứ bảy", "sun" => "chủ nhật",
    }
);
string_choices!(
    /// `/setup clear setting`.
    ClearChoice { "daily" => "bài hằng ngày", "digest" => "bản tổng hợp", "lead-role" => "vai trò trưởng nhóm", "board" => "bảng cam kết" }
);
string_choices!(
    /// `/charter propose kind`.
    CharterKindChoice { "goal" => "mục tiêu", "agreement" => "thỏa thuận" }
);
string_choices!(
    /// `en` or `vi`.
    LanguageChoice { "en" => "English", "vi" => "Tiếng Việt" }
);
