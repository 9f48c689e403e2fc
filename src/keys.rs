//! Stable keys of `prompts/messages.*.toml`. Code refers to messages only through these
//! constants, and the loader checks that every one exists in both languages, so a missing
//! translation is caught at start (and by `cargo test`), never in front of a user.

/// A message key such as `help.title`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(pub &'static str);

macro_rules! keys {
    ($($name:ident = $value:literal;)*) => {
        $(
            #[doc = concat!("`", $value, "`")]
            pub const $name: Key = Key($value);
        )*
        /// Every key, for validation.
        pub const ALL: &[Key] = &[$($name),*];
    };
}

keys! {
    // Errors and refusals.
    ERR_GENERIC = "err.generic";
    ERR_BUSY = "err.busy";
    ERR_TOO_LONG = "err.too_long";
    ERR_TEXT_ATTACHED = "err.text_attached";
    ERR_BAD_TIME = "err.bad_time";
    ERR_BAD_ZONE = "err.bad_zone";
    ERR_BAD_DUE = "err.bad_due";
    ERR_DUE_PAST = "err.due_past";
    ERR_DUE_FAR = "err.due_far";
    ERR_BAD_AWAY = "err.bad_away";
    ERR_BAD_WEEK = "err.bad_week";
    ERR_BAD_DAY = "err.bad_day";
    ERR_BAD_RATING = "err.bad_rating";
    ERR_BAD_KEPT = "err.bad_kept";
    ERR_BAD_LANGUAGE = "err.bad_language";
    ERR_BAD_RETENTION = "err.bad_retention";
    ERR_BAD_PRIVACY = "err.bad_privacy";
    ERR_BAD_CLEAR = "err.bad_clear";
    ERR_BAD_WHICH = "err.bad_which";
    ERR_WHICH_WITHOUT_KEPT = "err.which_without_kept";
    ERR_NOTHING_TO_RECORD = "err.nothing_to_record";
    ERR_NOTHING_TO_UNDO = "err.nothing_to_undo";
    NOTICE_DAILY_GONE = "notice.daily_gone";
    NOTICE_DIGEST_GONE = "notice.digest_gone";
    UNDO_COMMITMENTS = "undo.commitments";
    UNDO_COMMUNICATION = "undo.communication";
    UNDO_REOPENED = "undo.reopened";
    UNDO_REMOVED = "undo.removed";
    ERR_UNKNOWN_PRINCIPLE = "err.unknown_principle";
    ERR_GUILD_ONLY = "err.guild_only";
    ERR_NOT_MANAGER = "err.not_manager";
    ERR_NOT_LEAD = "err.not_lead";
    ERR_CHANNEL = "err.channel";
    ERR_NOTHING_TO_RESOLVE = "err.nothing_to_resolve";
    ERR_FORGET_NOT_YOURS = "err.forget_not_yours";
    ERR_FORGET_EXPIRED = "err.forget_expired";
    ERR_TEAM_NAME = "err.team_name";
    ERR_UNKNOWN_TEAM = "err.unknown_team";
    ERR_WHICH_TEAM = "err.which_team";
    ERR_TEAM_TAKEN = "err.team_taken";
    ERR_ROLE_TAKEN = "err.role_taken";
    ERR_HOME_TAKEN = "err.home_taken";
    ERR_NOT_IN_TEAM = "err.not_in_team";
    ERR_JOIN_ROLE_TEAM = "err.join_role_team";
    ERR_JOIN_DEFAULT = "err.join_default";
    ERR_DELETE_DEFAULT = "err.delete_default";
    ERR_FOREIGN_ROLE = "err.foreign_role";
    ERR_EVERYONE_ROLE = "err.everyone_role";
    ERR_FOREIGN_CHANNEL = "err.foreign_channel";
    ERR_TEAM_BUTTON_NOT_YOURS = "err.team_button_not_yours";
    ERR_TEAM_BUTTON_EXPIRED = "err.team_button_expired";
    ERR_BAD_PAUSE = "err.bad_pause";

    // /help
    HELP_TITLE = "help.title";
    HELP_BODY = "help.body";
    HELP_LEARN = "help.learn";
    HELP_CHECKIN = "help.checkin";
    HELP_LEADS = "help.leads";
    HELP_PRIVACY = "help.privacy";

    // Principles
    PRINCIPLE_HEADING = "principle.heading";
    PRINCIPLE_TIPS = "principle.tips";
    PRINCIPLE_QUESTIONS = "principle.questions";
    PRINCIPLE_TRY_TODAY = "principle.try_today";
    PRINCIPLE_FOOTER = "principle.footer";
    PRINCIPLE_TODAY_FOOTER = "principle.today_footer";
    PRINCIPLES_TITLE = "principles.title";
    PRINCIPLES_FOOTER = "principles.footer";
    TIP_TITLE = "tip.title";
    TIP_FOOTER = "tip.footer";

    // The daily post
    DAILY_TITLE = "daily.title";
    DAILY_TIP = "daily.tip";
    DAILY_QUESTION = "daily.question";
    DAILY_INVITE = "daily.invite";
    DAILY_FOCUS = "daily.focus";
    DAILY_PRACTICE = "daily.practice";

    // Check-ins
    CHECKIN_LAST_TIME = "checkin.last_time";
    CHECKIN_LAST_TIME_PARTNER = "checkin.last_time_partner";
    CHECKIN_RESOLVED = "checkin.resolved";
    CHECKIN_OPEN_UNRESOLVED = "checkin.open_unresolved";
    CHECKIN_NEW_COMMITMENT = "checkin.new_commitment";
    CHECKIN_NEW_COMMITMENT_PARTNER = "checkin.new_commitment_partner";
    CHECKIN_BLOCKER = "checkin.blocker";
    CHECKIN_COMMUNICATION = "checkin.communication";
    CHECKIN_REPLACED = "checkin.replaced";
    CHECKIN_STREAK = "checkin.streak";
    CHECKIN_COACH = "checkin.coach";
    CHECKIN_TITLE_COMMITMENTS = "checkin.title_commitments";
    CHECKIN_TITLE_COMMUNICATION = "checkin.title_communication";
    OUTCOME_KEPT = "outcome.kept";
    OUTCOME_PARTLY = "outcome.partly";
    OUTCOME_MISSED = "outcome.missed";
    MODAL_TITLE = "modal.title";
    MODAL_NEXT = "modal.next";
    MODAL_NEXT_PLACEHOLDER = "modal.next_placeholder";
    MODAL_BLOCKER = "modal.blocker";
    MODAL_BLOCKER_PLACEHOLDER = "modal.blocker_placeholder";
    FIELD_COMMITMENT = "field.commitment";
    FIELD_BLOCKER = "field.blocker";
    FIELD_WENT_WELL = "field.went_well";
    FIELD_IMPROVE = "field.improve";

    // /commitments
    COMMITMENTS_TITLE = "commitments.title";
    COMMITMENTS_OPEN = "commitments.open";
    COMMITMENTS_RESOLVED = "commitments.resolved";
    COMMITMENTS_NONE = "commitments.none";
    COMMITMENTS_NONE_RESOLVED = "commitments.none_resolved";
    COMMITMENTS_OVERDUE = "commitments.overdue";
    COMMITMENTS_DUE = "commitments.due";
    COMMITMENTS_TO = "commitments.to";

    // /setup
    SETUP_DAILY_DONE = "setup.daily_done";
    SETUP_DIGEST_DONE = "setup.digest_done";
    SETUP_UNCHECKED = "setup.unchecked";
    SETUP_LEAD_ROLE_DONE = "setup.lead_role_done";
    SETUP_LANGUAGE_DONE = "setup.language_done";
    SETUP_RETENTION_DONE = "setup.retention_done";
    SETUP_RETENTION_FOREVER = "setup.retention_forever";
    SETUP_SHOW_TITLE = "setup.show_title";
    SETUP_SHOW_DAILY = "setup.show_daily";
    SETUP_SHOW_DAILY_OFF = "setup.show_daily_off";
    SETUP_SHOW_DIGEST = "setup.show_digest";
    SETUP_SHOW_DIGEST_OFF = "setup.show_digest_off";
    SETUP_SHOW_NEXT = "setup.show_next";
    SETUP_SHOW_LANGUAGE = "setup.show_language";
    SETUP_SHOW_LANGUAGE_AUTO = "setup.show_language_auto";
    SETUP_SHOW_LEAD_ROLE = "setup.show_lead_role";
    SETUP_SHOW_LEAD_ROLE_NONE = "setup.show_lead_role_none";
    SETUP_SHOW_RETENTION = "setup.show_retention";
    SETUP_SHOW_PRIVACY = "setup.show_privacy";
    SETUP_SHOW_ZONE = "setup.show_zone";
    SETUP_TIMEZONE_DONE = "setup.timezone_done";
    SETUP_PRIVACY_DONE = "setup.privacy_done";
    SETUP_CLEARED_DAILY = "setup.cleared_daily";
    SETUP_CLEARED_DIGEST = "setup.cleared_digest";
    SETUP_CLEARED_LEAD_ROLE = "setup.cleared_lead_role";
    SETUP_CLEARED_NOTHING = "setup.cleared_nothing";
    SETUP_SHOW_FAILURE = "setup.show_failure";
    SETUP_SHOW_NO_FAILURE = "setup.show_no_failure";
    SETUP_SHOW_LATE = "setup.show_late";
    SETUP_WEEKDAYS_ONLY = "setup.weekdays_only";
    SETUP_EVERY_DAY = "setup.every_day";

    // Digest
    DIGEST_TITLE = "digest.title";
    DIGEST_PARTICIPATION = "digest.participation";
    DIGEST_PARTICIPATION_VALUE = "digest.participation_value";
    DIGEST_AWAY = "digest.away";
    DIGEST_COMMITMENTS = "digest.commitments";
    DIGEST_COMMITMENTS_VALUE = "digest.commitments_value";
    DIGEST_COMMITMENTS_MADE = "digest.commitments_made";
    DIGEST_OVERDUE = "digest.overdue";
    DIGEST_COMMUNICATION = "digest.communication";
    DIGEST_COMMUNICATION_VALUE = "digest.communication_value";
    DIGEST_WENT_WELL = "digest.went_well";
    DIGEST_IMPROVE = "digest.improve";
    DIGEST_BLOCKERS = "digest.blockers";
    DIGEST_PRINCIPLES = "digest.principles";
    DIGEST_NO_PRINCIPLES = "digest.no_principles";
    DIGEST_FOCUS = "digest.focus";
    DIGEST_NOT_ENOUGH = "digest.not_enough";
    DIGEST_CHANGE = "digest.change";
    DIGEST_NO_CHANGE = "digest.no_change";
    DIGEST_FOOTER = "digest.footer";
    FOCUS_LOW_PARTICIPATION = "focus.low_participation";
    FOCUS_FALLING_PARTICIPATION = "focus.falling_participation";
    FOCUS_LOW_KEEP_RATE = "focus.low_keep_rate";
    FOCUS_FALLING_KEEP_RATE = "focus.falling_keep_rate";
    FOCUS_MANY_OVERDUE = "focus.many_overdue";
    FOCUS_LOW_COMMUNICATION = "focus.low_communication";
    FOCUS_FALLING_COMMUNICATION = "focus.falling_communication";
    FOCUS_PERSISTENT_BLOCKERS = "focus.persistent_blockers";
    FOCUS_MANY_BLOCKERS = "focus.many_blockers";
    FOCUS_LEAST_SEEN = "focus.least_seen";

    // /me, /remind, /away
    ME_TIMEZONE_DONE = "me.timezone_done";
    ME_SHOW_TITLE = "me.show_title";
    ME_SHOW_ZONE = "me.show_zone";
    ME_SHOW_ZONE_GUILD = "me.show_zone_guild";
    ME_SHOW_REMIND = "me.show_remind";
    ME_SHOW_REMIND_OFF = "me.show_remind_off";
    ME_SHOW_AWAY = "me.show_away";
    ME_SHOW_NOT_AWAY = "me.show_not_away";
    ME_SHOW_DM_CLOSED = "me.show_dm_closed";
    ME_SHOW_STREAK = "me.show_streak";
    ME_SHOW_CHECKINS = "me.show_checkins";
    REMIND_ON_DONE = "remind.on_done";
    REMIND_OFF_DONE = "remind.off_done";
    REMIND_DM = "remind.dm";
    AWAY_DONE = "away.done";
    AWAY_OFF_DONE = "away.off_done";

    // /mydata, /forget
    MYDATA_DONE = "mydata.done";
    FORGET_CONFIRM = "forget.confirm";
    FORGET_BUTTON = "forget.button";
    FORGET_CANCEL = "forget.cancel";
    FORGET_DONE = "forget.done";
    FORGET_CANCELLED = "forget.cancelled";

    // /team
    TEAM_CREATED = "team.created";
    TEAM_LIST_TITLE = "team.list_title";
    TEAM_LIST_LINE = "team.list_line";
    TEAM_LIST_DEFAULT = "team.list_default";
    TEAM_LIST_ROLE = "team.list_role";
    TEAM_LIST_JOINED = "team.list_joined";
    TEAM_LIST_HOME = "team.list_home";
    TEAM_LIST_MINE = "team.list_mine";
    TEAM_LIST_FOOTER = "team.list_footer";
    TEAM_JOINED = "team.joined";
    TEAM_ALREADY_IN = "team.already_in";
    TEAM_LEFT = "team.left";
    TEAM_NOT_JOINED = "team.not_joined";
    TEAM_RENAMED = "team.renamed";
    TEAM_DELETE_CONFIRM = "team.delete_confirm";
    TEAM_DELETE_BUTTON = "team.delete_button";
    TEAM_DELETE_CANCEL = "team.delete_cancel";
    TEAM_DELETED = "team.deleted";
    TEAM_DELETE_CANCELLED = "team.delete_cancelled";
    TEAM_OF = "team.of";
    SETUP_SHOW_TEAMS = "setup.show_teams";
    SETUP_SHOW_TEAM = "setup.show_team";
    SETUP_SHOW_PAUSE = "setup.show_pause";
    SETUP_PAUSE_DONE = "setup.pause_done";
    SETUP_PAUSE_OFF = "setup.pause_off";
    DIGEST_PAUSED = "digest.paused";
    DIGEST_TREND = "digest.trend";
    DIGEST_FOLLOW_UP = "digest.follow_up";
    DIGEST_FOLLOW_UP_UNKNOWN = "digest.follow_up_unknown";
    REVIEW_TITLE = "review.title";
    REVIEW_WEEK = "review.week";
    REVIEW_STRONG_WEAK = "review.strong_weak";
    REVIEW_PRACTISED = "review.practised";
    REVIEW_NONE_PRACTISED = "review.none_practised";
    REVIEW_QUESTION = "review.question";
    REVIEW_Q_PARTICIPATION = "review.q_participation";
    REVIEW_Q_KEEP = "review.q_keep";
    REVIEW_Q_RATING = "review.q_rating";
    REVIEW_Q_DEFAULT = "review.q_default";
    MEASURE_KEEP_RATE = "measure.keep_rate";
    MEASURE_MEAN = "measure.mean";
    MEASURE_BLOCKERS = "measure.blockers";
    MEASURE_PARTICIPATION = "measure.participation";
    MEASURE_OVERDUE = "measure.overdue";
    CHART_TITLE = "chart.title";
    CHART_PARTICIPATION = "chart.participation";
    CHART_KEEP_RATE = "chart.keep_rate";
    CHART_RATING = "chart.rating";
    PRACTICE_TITLE = "practice.title";
    PRACTICE_STEPS = "practice.steps";
    PRACTICE_STEP = "practice.step";
    PRACTICE_QUESTIONS = "practice.questions";
    PRACTICE_WRITE_DOWN = "practice.write_down";
    PRACTICE_FOOTER_FOCUS = "practice.footer_focus";
    PRACTICE_FOOTER_TODAY = "practice.footer_today";
    PRACTICE_FOOTER_CHOSEN = "practice.footer_chosen";
    HISTORY_TITLE = "history.title";
    HISTORY_WEEKS = "history.weeks";
    HISTORY_COMMITMENTS = "history.commitments";
    HISTORY_RATINGS = "history.ratings";
    HISTORY_NONE = "history.none";
    HISTORY_FOOTER = "history.footer";
    HISTORY_CHART_TITLE = "history.chart_title";
    REMIND_DM_TEAMS = "remind.dm_teams";
    ERR_BOARD_CHANNEL = "err.board_channel";
    CHECKIN_PARTNER_ASKED = "checkin.partner_asked";
    CHECKIN_PARTNER_YOURSELF = "checkin.partner_yourself";
    CHECKIN_PARTNER_BOT = "checkin.partner_bot";
    CHECKIN_ON_BOARD = "checkin.on_board";
    COMMITMENTS_PARTNER_WAITING = "commitments.partner_waiting";
    COMMITMENTS_PARTNER_AGREED = "commitments.partner_agreed";
    COMMITMENTS_PARTNER_TALK = "commitments.partner_talk";
    COMMITMENTS_PARTNER_SAYS = "commitments.partner_says";
    COMMITMENTS_PARTNER_LEFT = "commitments.partner_left";
    COMMITMENTS_PARTNER_DMS_CLOSED = "commitments.partner_dms_closed";
    COMMITMENTS_PARTNER_BOT = "commitments.partner_bot";
    SETUP_BOARD_DONE = "setup.board_done";
    SETUP_CLEARED_BOARD = "setup.cleared_board";
    SETUP_SHOW_BOARD = "setup.show_board";
    DIGEST_PARTNERS = "digest.partners";
    DIGEST_PARTNERS_VALUE = "digest.partners_value";
    DIGEST_PARTNERS_FEW = "digest.partners_few";
    FOCUS_LOW_AGREEMENT = "focus.low_agreement";
    MEASURE_AGREEMENT = "measure.agreement";
    PARTNER_ASK_DM = "partner.ask_dm";
    PARTNER_CHECK_DM = "partner.check_dm";
    PARTNER_TALK_DM = "partner.talk_dm";
    PARTNER_TEAM = "partner.team";
    PARTNER_AGREE = "partner.agree";
    PARTNER_TALK = "partner.talk";
    PARTNER_KEPT = "partner.kept";
    PARTNER_PARTLY = "partner.partly";
    PARTNER_MISSED = "partner.missed";
    PARTNER_AGREED_DONE = "partner.agreed_done";
    PARTNER_TALK_DONE = "partner.talk_done";
    PARTNER_VERDICT_DONE = "partner.verdict_done";
    PARTNER_GONE = "partner.gone";
    PARTNER_NOT_YOURS = "partner.not_yours";
    PARTNER_EXPIRED = "partner.expired";
    BOARD_THREAD = "board.thread";
    BOARD_ENTRY = "board.entry";
    BOARD_ENTRY_ALONE = "board.entry_alone";
    BOARD_OPEN = "board.open";
    BOARD_KEPT = "board.kept";
    BOARD_PARTLY = "board.partly";
    BOARD_MISSED = "board.missed";
    BOARD_PARTNER_AGREED = "board.partner_agreed";
    BOARD_PARTNER_CONFIRMED = "board.partner_confirmed";
    FORGET_PARTNERS = "forget.partners";
    ERR_CHARTER_KIND = "err.charter_kind";
    ERR_CHARTER_NOT_MEMBER = "err.charter_not_member";
    ERR_CHARTER_UNKNOWN = "err.charter_unknown";
    ERR_CHARTER_NOT_LEAD = "err.charter_not_lead";
    ERR_THANKS_SELF = "err.thanks_self";
    ERR_THANKS_BOT = "err.thanks_bot";
    ERR_THANKS_LIMIT = "err.thanks_limit";
    CHARTER_GOAL = "charter.goal";
    CHARTER_AGREEMENT = "charter.agreement";
    CHARTER_PROPOSAL = "charter.proposal";
    CHARTER_VOTES = "charter.votes";
    CHARTER_ADOPTED_MAJORITY = "charter.adopted_majority";
    CHARTER_ADOPTED_LEAD = "charter.adopted_lead";
    CHARTER_EXPIRED = "charter.expired";
    CHARTER_AGREE_BUTTON = "charter.agree_button";
    CHARTER_NOT_YET_BUTTON = "charter.not_yet_button";
    CHARTER_PROPOSED = "charter.proposed";
    CHARTER_TITLE = "charter.title";
    CHARTER_GOALS = "charter.goals";
    CHARTER_AGREEMENTS = "charter.agreements";
    CHARTER_LINE = "charter.line";
    CHARTER_EMPTY = "charter.empty";
    CHARTER_OPEN = "charter.open";
    CHARTER_PAGE = "charter.page";
    CHARTER_PREV = "charter.prev";
    CHARTER_NEXT = "charter.next";
    CHARTER_RETIRED_DONE = "charter.retired_done";
    CHARTER_KEPT_DONE = "charter.kept_done";
    CHARTER_KEEP_BUTTON = "charter.keep_button";
    CHARTER_RETIRE_BUTTON = "charter.retire_button";
    DIGEST_CHARTER_DUE = "digest.charter_due";
    DIGEST_CHARTER_REVIEW_ON = "digest.charter_review_on";
    DIGEST_THANKS = "digest.thanks";
    DIGEST_THANKS_VALUE = "digest.thanks_value";
    DIGEST_THANKS_PRINCIPLES = "digest.thanks_principles";
    THANKS_POST = "thanks.post";
    THANKS_PRINCIPLE = "thanks.principle";
    THANKS_FORMER = "thanks.former";
    THANKS_DONE = "thanks.done";
    HISTORY_THANKS = "history.thanks";
    HISTORY_THANKS_VALUE = "history.thanks_value";
    FORGET_CHARTER = "forget.charter";
    ERR_EMPTY_TEXT = "err.empty_text";
    FIELD_NOTE = "field.note";
    CHARTER_GONE = "charter.gone";
    HELP_TEAM = "help.team";
    CHARTER_RETIRED = "charter.retired";

}
