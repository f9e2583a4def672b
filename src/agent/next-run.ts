import cron from "node-cron";

/** The next time a cron expression fires in a time zone (for `status` and for retry deadlines of one-off runs). */
export function nextRunOf(schedule: string, timezone?: string): Date | null {
  // node-cron computes the next run only for a started task; this one is destroyed before it can fire.
  const task = cron.schedule(schedule, () => undefined, { timezone });
  try {
    return task.getNextRun();
  } finally {
    void task.destroy();
  }
}
