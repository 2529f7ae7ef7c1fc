"""The booking screens: the queue of requests (queue), the day list (daylist) with its actions, the walk-in, printing."""
