package inbox

// openNoBlock is nothing here: there are no FIFOs to block on.
const openNoBlock = 0
