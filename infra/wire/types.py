"""Every message type name on Tocsin's topics, defined once (docs/messages.md).

Nothing else spells a type name as a string: producers and consumers use these members, which compare
equal to their wire strings.
"""

from __future__ import annotations

from enum import StrEnum


class CommandType(StrEnum):
    """Commands on `incident-commands` (key = incident id) and `roster-commands` (key = unit or person id)."""

    RECEIVE_REPORT = "ReceiveReport"
    ACKNOWLEDGE_ALERT = "AcknowledgeAlert"
    ACKNOWLEDGE_TASK = "AcknowledgeTask"
    COMPLETE_TASK = "CompleteTask"
    DECIDE_LEVEL = "DecideLevel"
    SET_VERIFIED_FACTS = "SetVerifiedFacts"
    ADD_NOTE = "AddNote"
    UPDATE_TERMINATION_SIGNALS = "UpdateTerminationSignals"
    PROPOSE_TERMINATION = "ProposeTermination"
    APPROVE_TERMINATION = "ApproveTermination"
    CHECK_DEADLINES = "CheckDeadlines"
    RECORD_DELIVERY = "RecordDelivery"
    DRAFT_PUBLIC_INFO = "DraftPublicInfo"
    EDIT_PUBLIC_INFO = "EditPublicInfo"
    APPROVE_PUBLIC_INFO = "ApprovePublicInfo"
    WITHDRAW_PUBLIC_INFO = "WithdrawPublicInfo"
    RECORD_ASSESSMENT = "RecordAssessment"
    ISSUE_WARNING = "IssueWarning"
    ASSIGN_SHIFT = "AssignShift"
    UPDATE_CONTACTS = "UpdateContacts"


ROSTER_COMMANDS = frozenset({CommandType.ASSIGN_SHIFT, CommandType.UPDATE_CONTACTS})
"""The commands on `roster-commands`; every other command goes to `incident-commands`."""


class EventType(StrEnum):
    """Events on `incident-events` (key = incident id), and the intake's messages on `reports.accepted`."""

    REPORT_ACCEPTED = "ReportAccepted"
    CORRELATION_CLOSED = "CorrelationClosed"
    REPORT_REJECTED = "ReportRejected"
    INCIDENT_OPENED = "IncidentOpened"
    REPORT_RECEIVED = "ReportReceived"
    LEVEL_CHANGED = "LevelChanged"
    ACTIONS_PLANNED = "ActionsPlanned"
    ACTION_UPDATED = "ActionUpdated"
    FACTS_VERIFIED = "FactsVerified"
    NOTE_ADDED = "NoteAdded"
    TERMINATION_SIGNALS_UPDATED = "TerminationSignalsUpdated"
    TERMINATION_PROPOSED = "TerminationProposed"
    INCIDENT_CLOSED = "IncidentClosed"
    NOTIFICATION_SENT = "NotificationSent"
    NOTIFICATION_FAILED = "NotificationFailed"
    COMMAND_REJECTED = "CommandRejected"
    PUBLIC_INFO_DRAFTED = "PublicInfoDrafted"
    PUBLIC_INFO_EDITED = "PublicInfoEdited"
    PUBLIC_INFO_APPROVED = "PublicInfoApproved"
    PUBLIC_INFO_PUBLISHED = "PublicInfoPublished"
    PUBLIC_INFO_WITHDRAWN = "PublicInfoWithdrawn"
    ASSESSMENT_RECORDED = "AssessmentRecorded"
    WARNING_ISSUED = "WarningIssued"


class DrillCommandType(StrEnum):
    """Commands on `drill-commands` (key = exercise id, docs/adr/0018)."""

    START = "StartDrill"
    PAUSE = "PauseDrill"
    RESUME = "ResumeDrill"
    STOP = "StopDrill"
    SET_SPEED = "SetDrillSpeed"
    INJECT_NOW = "InjectNow"
    HOLD = "HoldInject"
    RELEASE = "ReleaseInject"
    SKIP = "SkipInject"
    CANCEL = "CancelInject"
    ADVANCE_PHASE = "AdvancePhase"
    ANSWER_QUESTION = "AnswerQuestion"
    RECORD_OBSERVATION = "RecordObservation"
    UPDATE_IMPROVEMENT_ITEM = "UpdateImprovementItem"


class DrillEventType(StrEnum):
    """Events on `drill-events` (key = exercise id, docs/adr/0018)."""

    UPDATED = "DrillUpdated"
    COMMAND_REJECTED = "DrillCommandRejected"
    REPORT_WRITTEN = "DrillReportWritten"
    IMPROVEMENT_ITEM_UPDATED = "ImprovementItemUpdated"
