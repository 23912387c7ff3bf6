"""Array layouts shared by the simulator's numba kernels: parameter vector, trade records, equity rows,
counters, exit reasons and the kill switch's day state. Plain integer constants, so numba folds them."""

# params vector layout (float64); fees, the entry's round-trip fee and shorting are per instrument (arrays
# of their own)
P_NAV = 0
P_STOP_ATR = 1
P_TP_ATR = 2
P_TRAIL_ATR = 3
P_KILL = 4  # daily loss fraction, e.g. 0.025
P_SIP = 5  # fraction of a profitable day's P&L set aside
P_TRIM_KEEP = 6  # 1 - trim buffer
P_MIN_SIZE = 7
P_ENTRY_LIMIT = 8  # entry submits per second (order-rate budget minus the flatten reserve)
P_Q_KILLS = 9  # kill days within the window that start a quarantine
P_Q_WINDOW = 10  # trading days
P_Q_DAYS = 11  # demo days of a quarantine
P_ENTRY_KEEP = 12  # 1 - entry buffer: entries are approved up to this share of the caps
P_TRIM_TRIGGER = 13  # (1 + trim hysteresis) * (1 + 1e-9): trims fire above cap x this
P_SIZE = 14

# trade record columns (float64)
T_INST = 0
T_ENTRY_EVENT = 1
T_EXIT_EVENT = 2  # -1 while open
T_SIDE = 3  # +1 long, -1 short
T_UNITS = 4  # opening quantity in size increments
T_ENTRY_PX = 5  # average open price
T_EXIT_PX = 6  # average close price (nan while open)
T_PNL = 7  # realised P&L net of every commission of the position (Nautilus convention)
T_SIZE_PRE = 8
T_SIZE_POST = 9
T_REDUCED = 10  # 1 when the clamp reduced the entry
T_EXIT_REASON = 11  # see EXIT_* below
T_DEMO = 12  # 1 when entered on a demo (post-kill / quarantine) day
T_EXIT_AT_STEP = 13  # 1 when the exit filled after the portfolio step (at its time, maybe the grace timer)
T_COLS = 14

EXIT_OPEN = 0
EXIT_STOP = 1
EXIT_TAKE_PROFIT = 2
EXIT_REVERSAL = 3
EXIT_KILL = 4
EXIT_TRIM = 5  # a trim that took the position to zero
EXIT_STOP_THROUGH = 6  # the protective stop was rejected and its level was through at the next step

# equity columns (float64), one row per event
E_NAV = 0
E_DAY_PNL = 1
E_GROSS = 2
E_NET = 3
E_MAX_NAME = 4
E_BUCKET0 = 5  # core, penny, fno
E_HALTED = 8
E_DEMO = 9  # 1 post-kill demo day, 2 quarantine day
E_KILLED = 10  # 1 on the event where the kill switch fired
E_COLS = 11

# counters
C_ENTRIES = 0
C_TRIMS = 1
C_TRAILS = 2
C_KILLS = 3
C_REDUCED = 4
C_REJECTED = 5
C_SHORT_BLOCKED = 6
C_TOO_SMALL = 7
C_BAD_EXIT_PX = 8
C_REVERSALS = 9
C_RATE_BLOCKED = 10
C_SIP_DAYS = 11
C_BUY = 12
C_SELL = 13
C_HOLD = 14
C_TP_PARTIAL = 15
C_BRACKET_REJECTED = 16
C_STOPS_RESUBMITTED = 17
C_REPROTECT_CLOSES = 18
C_SKIP_TP_BELOW_FEE = 19
C_SIZE = 20

# the kill switch's day state (float64 vector; integers and flags are stored exactly)
K_CUR_DAY = 0  # UTC day number of the last mark, -1 before the first
K_SOD_NAV = 1  # start-of-day NAV
K_LAST_NAV = 2  # NAV at the last mark
K_SIP = 3  # SIP set aside so far (not sized with)
K_HALTED = 4  # 1 after the kill switch fired today
K_DEMO_PENDING = 5  # 1 when the next day is a post-kill demo day
K_DEMO_TODAY = 6  # 1 on a demo day (post-kill or quarantine)
K_QUARANTINE_TODAY = 7
K_Q_REMAINING = 8  # quarantine days still to come
K_N_DAYS = 9  # trading days seen
K_SIZE = 10
