package keys

import "github.com/coldcopy/cachedeck/views/widgets"

// lineInput is the filter prompt's editor: the shared widgets.Input.
type lineInput = widgets.Input
