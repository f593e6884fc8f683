"""The USB stick as the staff's and the families' interface.

When a FAT32 or exFAT stick with an `Attune` folder is plugged in, `attune usb sync` (started
by a udev rule and `attune-usb@.service`) copies every consented listener's reports into
`Attune/reports/` and imports new music from `Attune/<listener>/` folders, writes a log on the
stick and leaves a notice for the service, which shows it on the LED and speaks it between
sessions (spool.py). docs/usb.md tells the whole route.
"""
