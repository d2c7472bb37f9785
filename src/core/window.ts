// Maintenance windows: is `now` inside, and when does the window open next. Pure.

import type { MaintenanceWindow, Weekday } from './model.js'

const DAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

interface LocalTime {
  day: Weekday
  minutes: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function localTime(date: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, format)
  }
  const parts = format.formatToParts(date)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return {
    day: get('weekday').slice(0, 3).toLowerCase() as Weekday,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  }
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number)
  return h! * 60 + m!
}

/**
 * Whether `now` is inside the window. A window whose end is at or before its start crosses
 * midnight: it opens on the listed day and closes the next day.
 */
export function inWindow(window: MaintenanceWindow, now: Date): boolean {
  const { day, minutes } = localTime(now, window.timezone)
  const start = toMinutes(window.start)
  const end = toMinutes(window.end)
  if (end > start) return window.days.includes(day) && minutes >= start && minutes < end
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7]!
  return (window.days.includes(day) && minutes >= start) || (window.days.includes(yesterday) && minutes < end)
}

/** The next time the window opens after `now` (minute precision), within the next 8 days. */
export function nextOpening(window: MaintenanceWindow, now: Date): Date | undefined {
  const step = 60_000
  const start = Math.ceil(now.getTime() / step) * step
  for (let t = start; t < start + 8 * 24 * 60 * step; t += step) {
    const d = new Date(t)
    if (inWindow(window, d) && !inWindow(window, new Date(t - step))) return d
  }
  return undefined
}

export function describeWindow(w: MaintenanceWindow): string {
  return `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`
}
