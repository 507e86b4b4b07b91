package msg

// Texts of the live half of issue 14: what a reporter is told about the end
// of their case (Open311 status_notes), from the last closing or return
// step and its comment.
const (
	NoteClosed   Key = "note.closed"
	NoteRejected Key = "note.rejected"
	NoteRework   Key = "note.rework"
)

var liveTexts = map[Key]Text{
	NoteClosed:   {"已结案：%s", "Closed: %s"},
	NoteRejected: {"已退回：%s", "Sent back: %s"},
	NoteRework:   {"核查未通过，已返工处置：%s", "Verification failed, sent back for rework: %s"},
}
