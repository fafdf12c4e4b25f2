"""Machine-translation providers behind one interface (chuhai.comms.translator.Provider)."""
