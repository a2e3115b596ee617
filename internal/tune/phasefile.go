package tune

import "github.com/coditect/phasegen/internal/yamledit"

// Edit sets one field of a Phase file (yamledit's, which writes it).
type Edit = yamledit.Edit

// EditFile returns a Phase file with the edits applied in place
// (yamledit.Apply): comments, order and layout kept, the result checked.
func EditFile(raw []byte, edits []Edit) ([]byte, error) { return yamledit.Apply(raw, edits) }
